package rlhf4j.ppo.grpo;

/** How GRPO scales the centred rewards (TRL {@code scale_rewards}). */
public enum ScaleRewards {
  /** Divide by the group's Bessel-corrected std plus 1e-4 (TRL {@code "group"}, the default). */
  GROUP,
  /** Divide by the whole batch's Bessel-corrected std plus 1e-4; the mean stays per group. */
  BATCH,
  /** No division (Dr. GRPO, TRL {@code "none"}). */
  NONE
}
