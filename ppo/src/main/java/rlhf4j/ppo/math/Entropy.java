package rlhf4j.ppo.math;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import rlhf4j.policy.model.Scalars;

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
   * The entropy of {@code softmax(logits / temperature)} as a statistic: no gradient, and its (B,
   * T, V) temporaries are closed before it returns, so they do not stay alive through the backward
   * pass that follows (four of them, 13 MB each at GPT-2's vocabulary and 64 response tokens); the
   * result belongs to the caller's {@link NDScope}.
   *
   * @param logits (B, T, V), possibly on the autograd graph
   * @return (B, T)
   */
  public static NDArray statistic(NDArray logits, double temperature) {
    NDArray entropy;
    try (NDScope temporaries = new NDScope()) {
      NDArray z = logits.stopGradient();
      entropy = fromLogits(temperature == 1.0 ? z : Scalars.div(z, temperature)); // (B, T)
      NDScope.unregister(entropy);
    }
    NDScope.register(entropy);
    return entropy;
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
