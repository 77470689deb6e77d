package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import java.util.List;

/** MLP activations by their HF names. */
public final class Activations {
  /** Names accepted in {@code activation_function} / {@code hidden_act}. */
  public static final List<String> SUPPORTED =
      List.of("gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu", "silu", "swish", "relu");

  private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

  private Activations() {}

  static void check(String name) {
    if (!SUPPORTED.contains(name)) {
      throw new IllegalArgumentException(
          "activation '" + name + "' is not supported; use one of " + SUPPORTED);
    }
  }

  /** Applies activation {@code name} element-wise. */
  public static NDArray apply(String name, NDArray x) {
    switch (name) {
      case "gelu_new":
      case "gelu_pytorch_tanh":
      case "gelu_fast":
        return geluTanh(x);
      case "gelu":
        return Activation.gelu(x); // exact erf form
      case "silu":
      case "swish":
        return x.mul(Activation.sigmoid(x));
      case "relu":
        return Activation.relu(x);
      default:
        throw new IllegalArgumentException("activation '" + name + "' is not supported");
    }
  }

  /** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GPT-2's "gelu_new". */
  static NDArray geluTanh(NDArray x) {
    // constants through Scalars: autograd keeps them for the backward pass
    NDArray inner = Scalars.mul(Scalars.mul(x.mul(x).mul(x), 0.044715).add(x), SQRT_2_OVER_PI);
    return Scalars.mul(x, 0.5).mul(inner.tanh().add(1f));
  }
}
