package rlhf4j.ppo.grpo;

/** How GRPO aggregates the per-token loss (TRL {@code loss_type}); m is the completion mask. */
public enum GrpoLossType {
  /** Per-sequence token mean {@code sum_t(l*m)/max(sum_t m, 1)}, then the batch mean, / GA. */
  GRPO,
  /** {@code sum(l*m) / max(sum(m), 1)} over the local batch, / GA. */
  BNPO,
  /** {@code sum(l*m) / (B * maxCompletionLength)}, / GA (Dr. GRPO). */
  DR_GRPO,
  /**
   * {@code sum(l*m) / max(active tokens of the whole generation batch, 1)}; no further GA division
   * (TRL's default since v0.22).
   */
  DAPO
}
