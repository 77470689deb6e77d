package rlhf4j.rollout.sampling;

/**
 * Transforms one row of next-token logits in place (HF {@code LogitsProcessor} / {@code
 * LogitsWarper}). Removed tokens are set to {@link Double#NEGATIVE_INFINITY}. Implementations may
 * keep scratch buffers and are not thread-safe.
 */
@FunctionalInterface
public interface LogitsProcessor {

  /**
   * Processes one row.
   *
   * @param logits the row's logits, length V, changed in place; never contains NaN or +inf
   * @param previousTokens ids already in this row's sequence (prompt and generated), or null
   */
  void process(double[] logits, long[] previousTokens);
}
