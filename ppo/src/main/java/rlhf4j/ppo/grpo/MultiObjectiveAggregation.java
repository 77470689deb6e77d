package rlhf4j.ppo.grpo;

/**
 * How GRPO turns several reward functions' scores into advantages (TRL 1.13 {@code
 * multi_objective_aggregation}).
 */
public enum MultiObjectiveAggregation {
  /**
   * Weighted sum of the scores, then centred per group and scaled as {@code scale_rewards} says
   * (TRL's default).
   */
  SUM_THEN_NORMALIZE,
  /**
   * GDPO: each function's scores centred and divided by their std within the group (plus 1e-4),
   * then the weighted sum, centred and divided by its std over the whole batch; {@code
   * scale_rewards} plays no part.
   */
  NORMALIZE_THEN_SUM
}
