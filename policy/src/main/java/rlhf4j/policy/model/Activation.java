package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;

/**
 * MLP activations. Each constant keeps the name HF configs use for it ({@code activation_function}
 * / {@code hidden_act}) so a config read from a checkpoint is written back unchanged.
 */
public enum Activation {
  /** GPT-2's tanh approximation of GELU. */
  GELU_NEW("gelu_new"),
  /** The same tanh approximation under torch's name. */
  GELU_PYTORCH_TANH("gelu_pytorch_tanh"),
  /** The same tanh approximation under its older HF name. */
  GELU_FAST("gelu_fast"),
  /** Exact (erf) GELU. */
  GELU("gelu"),
  /** x·sigmoid(x) (Llama family). */
  SILU("silu"),
  /** x·sigmoid(x) under its other name. */
  SWISH("swish"),
  /** max(0, x). */
  RELU("relu");

  private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

  private final String hfName;

  Activation(String hfName) {
    this.hfName = hfName;
  }

  /** The name HF configs use. */
  public String hfName() {
    return hfName;
  }

  /** The activation HF calls {@code name}; rejects unsupported ones, naming those supported. */
  public static Activation fromHfName(String name) {
    for (Activation a : values()) {
      if (a.hfName.equals(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException(
        "activation '" + name + "' is not supported; use one of " + hfNames());
  }

  /** Every supported HF name. */
  public static List<String> hfNames() {
    List<String> out = new ArrayList<>();
    for (Activation a : values()) {
      out.add(a.hfName);
    }
    return out;
  }

  /** Applies the activation element-wise. */
  public NDArray apply(NDArray x) {
    switch (this) {
      case GELU_NEW:
      case GELU_PYTORCH_TANH:
      case GELU_FAST:
        return geluTanh(x);
      case GELU:
        return ai.djl.nn.Activation.gelu(x); // exact erf form
      case SILU:
      case SWISH:
        if (InPlace.allowed()) {
          NDArray s = ai.djl.nn.Activation.sigmoid(x);
          s.muli(x); // σ(x)·x == x·σ(x) bitwise: float multiplication commutes
          return s;
        }
        return x.mul(ai.djl.nn.Activation.sigmoid(x));
      case RELU:
        return ai.djl.nn.Activation.relu(x);
      default:
        throw new IllegalStateException(name());
    }
  }

  /** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GPT-2's "gelu_new". */
  static NDArray geluTanh(NDArray x) {
    if (InPlace.allowed()) {
      return geluTanhInPlace(x);
    }
    // constants through Scalars: autograd keeps them for the backward pass
    NDArray inner = Scalars.mul(Scalars.mul(x.mul(x).mul(x), 0.044715).add(x), SQRT_2_OVER_PI);
    return Scalars.mul(x, 0.5).mul(inner.tanh().add(1f));
  }

  /**
   * {@link #geluTanh} without a graph: the same operations in the same order, so bitwise equal, but
   * each step writes into the array the step before made, three new arrays instead of nine.
   */
  static NDArray geluTanhInPlace(NDArray x) {
    NDArray t = x.mul(x); // x²
    t.muli(x); // x³
    t.muli(Scalars.of(x, 0.044715));
    t.addi(x);
    t.muli(Scalars.of(x, SQRT_2_OVER_PI)); // the inner argument
    NDArray u = t.tanh();
    t.close();
    u.addi(1f);
    NDArray half = Scalars.mul(x, 0.5);
    half.muli(u);
    u.close();
    return half;
  }
}
