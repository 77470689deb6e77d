package rlhf4j.ppo.math;

import ai.djl.ndarray.NDArray;

/** Per-token entropy of the policy, as TRL {@code core.entropy_from_logits}. */
public final class Entropy {

  private Entropy() {}

  /**
   * {@code logsumexp(logits) - sum(softmax(logits) * logits)} over the last axis.
   *
   * @param logits (B, T, V)
   * @return (B, T)
   */
  public static NDArray fromLogits(NDArray logits) {
    int vocabAxis = logits.getShape().dimension() - 1;
    NDArray expected = logits.softmax(vocabAxis).mul(logits).sum(new int[] {vocabAxis}); // (B, T)
    return logSumExp(logits).sub(expected);
  }

  /**
   * Numerically stable {@code log(sum(exp(x)))} over the last axis (DJL has no logsumexp).
   *
   * @param x (..., V)
   * @return (...)
   */
  public static NDArray logSumExp(NDArray x) {
    int axis = x.getShape().dimension() - 1;
    NDArray max = x.max(new int[] {axis}, true).stopGradient(); // (..., 1)
    return x.sub(max).exp().sum(new int[] {axis}).log().add(max.squeeze(axis)); // (...)
  }
}
