package rlhf4j.policy.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/** Gradient access that can tell "never computed" from "zero" (PyTorch engine). */
final class Gradients {

  private Gradients() {}

  /**
   * A view of {@code param}'s gradient that the caller must close, or {@code null} if no backward
   * pass has reached it yet. In-place ops on the view change the real gradient.
   */
  static NDArray viewOrNull(String name, NDArray param) {
    if (param == null) {
      throw new IllegalArgumentException("parameter '" + name + "' is null");
    }
    if (!param.hasGradient()) {
      throw new IllegalArgumentException(
          "parameter '"
              + name
              + "' does not require a gradient; call setRequiresGradient(true) on it or leave it"
              + " out of the trainable map");
    }
    if (param instanceof PtNDArray pt) {
      return JniUtils.getGradient(pt);
    }
    return param.getGradient(); // other engines: an absent gradient reads as zeros
  }

  /** Zeroes {@code param}'s gradient in place if it has one. */
  static void zero(String name, NDArray param) {
    try (NDArray grad = viewOrNull(name, param)) {
      if (grad != null) {
        zero(param, grad);
      }
    }
  }

  /** Zeroes the gradient {@code grad} (a view from {@link #viewOrNull}) of {@code param}. */
  static void zero(NDArray param, NDArray grad) {
    if (param instanceof PtNDArray pt) {
      JniUtils.zeroGrad(pt); // zero_() on .grad: also clears NaN, unlike muli(0)
    } else {
      grad.muli(0);
    }
  }
}
