package rlhf4j.rollout.sampling;

/**
 * HF {@code RepetitionPenaltyLogitsProcessor} (Keskar et al. 2019, CTRL): every distinct token in
 * the row's previous tokens gets {@code logit * penalty} if its logit is negative, else {@code
 * logit / penalty}. A token repeated in the sequence is penalised once.
 */
public final class RepetitionPenalty implements LogitsProcessor {
  private final double penalty;
  private int[] stamp = new int[0];
  private int epoch;

  /**
   * @param penalty finite and &gt; 0; 1 changes nothing, &gt; 1 discourages repeats
   */
  public RepetitionPenalty(double penalty) {
    if (!(penalty > 0) || Double.isInfinite(penalty)) {
      throw new IllegalArgumentException(
          "repetitionPenalty must be finite and > 0 (1 = off), got " + penalty);
    }
    this.penalty = penalty;
  }

  /** Returns the penalty. */
  public double penalty() {
    return penalty;
  }

  @Override
  public void process(double[] logits, long[] previousTokens) {
    if (previousTokens == null || previousTokens.length == 0) {
      return;
    }
    int v = logits.length;
    if (stamp.length != v) {
      stamp = new int[v];
      epoch = 0;
    }
    if (++epoch == Integer.MAX_VALUE) {
      java.util.Arrays.fill(stamp, 0);
      epoch = 1;
    }
    for (long id : previousTokens) {
      if (id < 0 || id >= v) {
        throw new IllegalArgumentException(
            "previousTokens contains id " + id + " outside the vocabulary [0, " + v + ")");
      }
      int t = (int) id;
      if (stamp[t] == epoch) {
        continue; // already penalised in this call
      }
      stamp[t] = epoch;
      double x = logits[t];
      logits[t] = x < 0 ? x * penalty : x / penalty;
    }
  }
}
