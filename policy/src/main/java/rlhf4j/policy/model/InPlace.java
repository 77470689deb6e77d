package rlhf4j.policy.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Whether a forward may write into arrays it has just made instead of making new ones: only without
 * a graph (the calling thread's grad mode off: rollouts, reference and other log-prob passes),
 * where no backward pass keeps the intermediates. Each new array of 4 MB or more is mapped afresh
 * by the allocator ({@code NativeMemory}) and costs its page faults, so a chain of element-wise ops
 * on (B, T, I) activations runs faster in place. Callers keep the same operations in the same
 * order, so results are bitwise equal to the out-of-place ones.
 */
final class InPlace {
  private InPlace() {}

  /** True when the calling thread builds no autograd graph. */
  static boolean allowed() {
    return !JniUtils.isGradMode();
  }
}
