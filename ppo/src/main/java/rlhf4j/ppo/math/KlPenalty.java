package rlhf4j.ppo.math;

import ai.djl.ndarray.NDArray;

/**
 * Per-token KL penalty estimators of TRL's classic {@code PPOTrainer._kl_penalty} ({@code
 * kl_penalty} config field).
 */
public enum KlPenalty {
  /** {@code logp - ref} (k1, unbiased per sample, may be negative). TRL default. */
  KL,
  /** {@code |logp - ref|}. */
  ABS,
  /** {@code 0.5 * (logp - ref)^2} (k2). */
  MSE,
  /**
   * Exact {@code KL(pi || pi_ref)} over the vocabulary, {@code sum_v exp(logp_v) * (logp_v -
   * ref_v)}; takes full (B, T, V) log-prob tensors.
   */
  FULL;

  /**
   * The per-token penalty of {@code kind}.
   *
   * @param logProbs policy log-probs: (B, T) of the sampled tokens, or (B, T, V) for {@link #FULL}
   * @param refLogProbs reference log-probs, same shape as {@code logProbs}
   * @return (B, T), unmasked
   */
  public static NDArray perToken(NDArray logProbs, NDArray refLogProbs, KlPenalty kind) {
    if (!logProbs.getShape().equals(refLogProbs.getShape())) {
      throw new IllegalArgumentException(
          "logProbs and refLogProbs must have the same shape, got "
              + logProbs.getShape()
              + " and "
              + refLogProbs.getShape());
    }
    if (kind == FULL && logProbs.getShape().dimension() != 3) {
      throw new IllegalArgumentException(
          "KlPenalty.FULL needs full (B, T, V) log-prob tensors, got shape "
              + logProbs.getShape()
              + "; keep the vocabulary log-softmax or use KL");
    }
    NDArray logRatio = logProbs.sub(refLogProbs); // (B, T) or (B, T, V)
    switch (kind) {
      case KL:
        return logRatio;
      case ABS:
        return logRatio.abs();
      case MSE:
        return logRatio.square().mul(0.5);
      case FULL:
        return logProbs.exp().mul(logRatio).sum(new int[] {2}); // (B, T)
      default:
        throw new AssertionError(kind);
    }
  }
}
