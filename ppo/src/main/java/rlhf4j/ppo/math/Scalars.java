package rlhf4j.ppo.math;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Multiplication and division by a constant that are safe on the autograd path.
 *
 * <p>DJL's {@code x.mul(0.5)} wraps the constant in a 0-d tensor that shares memory with a Java
 * direct buffer and closes it right after the op. Autograd keeps that tensor for the backward pass
 * ({@code d(x*c)/dx = c}), so once the garbage collector frees the buffer, the backward pass reads
 * freed memory and the gradients come out wrong. The constants made here live in native memory that
 * the autograd graph keeps alive.
 */
public final class Scalars {
  private Scalars() {}

  /** A 0-d array holding {@code value} in {@code like}'s manager and dtype, in native memory. */
  public static NDArray of(NDArray like, double value) {
    NDArray s = like.getManager().zeros(new Shape(), like.getDataType());
    s.addi(value); // the Java-backed constant is read once here, not kept by autograd
    return s;
  }

  /** {@code x * value}, safe to backpropagate through. */
  public static NDArray mul(NDArray x, double value) {
    return x.mul(of(x, value));
  }

  /** {@code x / value}, safe to backpropagate through. */
  public static NDArray div(NDArray x, double value) {
    return x.div(of(x, value));
  }
}
