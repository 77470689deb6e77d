package rlhf4j.ppo.dpo;

import java.util.EnumSet;
import java.util.Set;

/**
 * The f-divergence between policy and reference that DPO regularises with (f-DPO; TRL 1.13 {@code
 * f_divergence_type}): it maps each completion's log-ratio lr to the score the loss types built on
 * the chosen-rejected difference compare, {@code f'(exp(lr))}.
 */
public enum DpoFDivergence {
  /** Standard DPO: the score is lr itself. */
  REVERSE_KL,
  /** {@code 1 - exp(-lr)}. */
  FORWARD_KL,
  /** Jensen-Shannon: {@code log 2 + log sigmoid(lr)}. */
  JS_DIVERGENCE,
  /**
   * {@code (exp((alpha - 1) lr) - 1) / (alpha - 1)}, alpha = {@code f_alpha_divergence_coef}, the
   * exponent capped at 80 as in TRL; lr itself when alpha is within 1e-6 of 1.
   */
  ALPHA_DIVERGENCE;

  /**
   * The loss types whose reparameterisation leaves only the chosen-rejected score difference, so
   * that another divergence than {@link #REVERSE_KL} applies to them (TRL refuses the others).
   */
  public static final Set<DpoLossType> SUPPORTED =
      EnumSet.of(
          DpoLossType.SIGMOID,
          DpoLossType.SIGMOID_NORM,
          DpoLossType.HINGE,
          DpoLossType.IPO,
          DpoLossType.EXO_PAIR,
          DpoLossType.ROBUST,
          DpoLossType.DISCOPOP,
          DpoLossType.SFT);
}
