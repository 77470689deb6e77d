package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a constant that is safe on the autograd path.
 *
 * <p>DJL's {@code x.mul(0.5)} (likewise {@code div} and {@code pow}) wraps the constant in a 0-d
 * tensor backed by a Java direct buffer and closes it right after the op. Autograd keeps that
 * tensor for the backward pass ({@code d(x·c)/dx = c}), so once the garbage collector frees the
 * buffer the backward pass reads freed memory and gradients come out wrong (found in this project;
 * see ScalarsTest). The constants made here live in native memory owned by torch, which the graph
 * keeps alive. Use these for any constant that meets an array that may require gradients.
 */
public final class Scalars {
  private Scalars() {}

  /** A 0-d array holding {@code value} in {@code like}'s manager and dtype, torch-owned. */
  public static NDArray of(NDArray like, double value) {
    if (like.getDataType() == DataType.FLOAT32) {
      return like.getManager().full(new Shape(), (float) value, DataType.FLOAT32);
    }
    NDArray s = like.getManager().zeros(new Shape(), like.getDataType());
    s.addi(value); // the Java-backed constant is read once here, not kept by autograd
    return s;
  }

  /** {@code x · value}. */
  public static NDArray mul(NDArray x, double value) {
    return x.mul(of(x, value));
  }

  /** {@code x / value}. */
  public static NDArray div(NDArray x, double value) {
    return x.div(of(x, value));
  }

  /** {@code x ^ value}. */
  public static NDArray pow(NDArray x, double value) {
    return x.pow(of(x, value));
  }
}
