package rlhf4j.ppo.grpo;

/**
 * TRL's {@code loss_type}: the per-token loss and how it is aggregated; m is the completion mask,
 * rho the importance weight, A the advantage (TRL 1.13 {@code GRPOTrainer._compute_loss}).
 */
public enum GrpoLossType {
  /**
   * Clipped surrogate; per-sequence token mean {@code sum_t(l*m)/max(sum_t m, 1)}, then the batch
   * mean, / GA.
   */
  GRPO,
  /** Clipped surrogate; {@code sum(l*m) / max(sum(m), 1)} over the local batch, / GA. */
  BNPO,
  /** Clipped surrogate; {@code sum(l*m) / (B * maxCompletionLength)}, / GA (Dr. GRPO). */
  DR_GRPO,
  /**
   * Clipped surrogate; {@code sum(l*m) / max(active tokens of the whole generation batch, 1)}; no
   * further GA division (TRL's default since v0.22).
   */
  DAPO,
  /**
   * CISPO (MiniMax-M1, ScaleRL): {@code l = -sg(min(rho, epsilon_high)) * A * logp}, the weight
   * clipped and detached instead of the surrogate; aggregated as {@link #DAPO}. TRL reads {@code
   * epsilon_high} as the cap itself (ScaleRL recommends 5.0); left unset it is {@code epsilon}.
   */
  CISPO,
  /**
   * SAPO (Soft Adaptive Policy Optimization): {@code l = -sigmoid(tau * (rho - 1)) * 4 / tau * A},
   * a smooth gate instead of the clip, {@code tau} = {@code sapo_temperature_pos} where A &gt; 0,
   * else {@code sapo_temperature_neg}; aggregated as {@link #GRPO}.
   */
  SAPO,
  /**
   * LUSPO: the clipped surrogate summed over each sequence's tokens, {@code sum_t(l*m)}, then the
   * batch mean, / GA (meant for {@code importance_sampling_level: sequence}).
   */
  LUSPO
}
