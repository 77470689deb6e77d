package rlhf4j.rollout.sampling;

/**
 * One sampled token per row. The arrays are owned by this result and not copied (hot path).
 *
 * @param ids chosen token ids, length B; the pad id for finished rows
 * @param trainLogProbs {@code log_softmax(logits / T)[id]}: the log-prob PPO records as {@code
 *     logProbs} and recomputes in training, without repetition penalty or filters; {@link
 *     #FINISHED_LOGPROB} for finished rows
 * @param filteredLogProbs the log-prob of {@code id} under the distribution actually sampled from
 *     (repetition penalty, temperature, top-k, top-p, min-p, renormalised); 0 for greedy (a point
 *     mass); {@link #FINISHED_LOGPROB} for finished rows. Equals {@code trainLogProbs} when {@link
 *     SamplingConfig#biasesKl()} is false and no extra processors are used
 */
public record SampleResult(long[] ids, double[] trainLogProbs, double[] filteredLogProbs) {

  /**
   * Log-prob reported for finished rows: 1.0, TRL's {@code INVALID_LOGPROB}; no real log-prob is
   * positive, and the caller masks these positions anyway.
   */
  public static final double FINISHED_LOGPROB = 1.0;

  /** Checks that the three arrays have the same length. */
  public SampleResult {
    if (ids.length != trainLogProbs.length || ids.length != filteredLogProbs.length) {
      throw new IllegalArgumentException(
          "ids, trainLogProbs and filteredLogProbs must have the same length, got "
              + ids.length
              + ", "
              + trainLogProbs.length
              + " and "
              + filteredLogProbs.length);
    }
  }

  /** Number of rows B. */
  public int batchSize() {
    return ids.length;
  }

  /** {@code trainLogProbs} as floats, e.g. for {@code manager.create(float[])}. */
  public float[] trainLogProbsAsFloats() {
    float[] out = new float[trainLogProbs.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) trainLogProbs[i];
    }
    return out;
  }
}
