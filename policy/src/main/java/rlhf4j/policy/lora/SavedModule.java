package rlhf4j.policy.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import rlhf4j.policy.model.Linear;

/**
 * A trainable copy of a whole linear module (PEFT's {@code modules_to_save} wrapper): while its
 * adapter is active and on, the module computes {@code x·Wᵀ + b} with the copy instead of the base.
 *
 * @param weight (out, in), like the base weight
 * @param bias (out) or null when the base module has none
 */
record SavedModule(NDArray weight, NDArray bias) {
  /** A copy of {@code l}'s weight and bias, held by {@code manager}. */
  static SavedModule copyOf(Linear l, NDManager manager) {
    NDArray w = l.weight().duplicate();
    w.attach(manager);
    NDArray b = null;
    if (l.bias() != null) {
      b = l.bias().duplicate();
      b.attach(manager);
    }
    return new SavedModule(w, b);
  }

  /** x·Wᵀ + b with the copy // x (..., in) → (..., out). */
  NDArray forward(NDArray x) {
    return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
  }

  /** Elements of the weight and bias. */
  long size() {
    return weight.size() + (bias == null ? 0 : bias.size());
  }

  void setTrainable(boolean on) {
    LoraAdapter.setTrainable(weight, on);
    if (bias != null) {
      LoraAdapter.setTrainable(bias, on);
    }
  }

  void close() {
    weight.close();
    if (bias != null) {
      bias.close();
    }
  }
}
