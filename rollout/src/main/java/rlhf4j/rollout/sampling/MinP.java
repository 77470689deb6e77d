package rlhf4j.rollout.sampling;

/**
 * Min-p filter (HF {@code MinPLogitsWarper}, Nguyen et al. 2024): keeps the tokens whose
 * probability is at least {@code minP * pmax}; the most likely token is always kept. Computed in
 * log space: a token is removed when {@code logit - maxLogit < log(minP)}.
 */
public final class MinP implements LogitsProcessor {
  private final double minP;
  private final double logMinP;

  /**
   * @param minP in (0, 1]
   */
  public MinP(double minP) {
    if (!(minP > 0 && minP <= 1)) {
      throw new IllegalArgumentException("minP must be in (0, 1] (0 = off), got " + minP);
    }
    this.minP = minP;
    this.logMinP = Math.log(minP);
  }

  /** Returns minP. */
  public double minP() {
    return minP;
  }

  @Override
  public void process(double[] logits, long[] previousTokens) {
    double max = Double.NEGATIVE_INFINITY;
    for (double x : logits) {
      if (x > max) {
        max = x;
      }
    }
    if (max == Double.NEGATIVE_INFINITY) {
      return;
    }
    for (int i = 0; i < logits.length; i++) {
      if (logits[i] - max < logMinP) {
        logits[i] = Double.NEGATIVE_INFINITY;
      }
    }
  }
}
