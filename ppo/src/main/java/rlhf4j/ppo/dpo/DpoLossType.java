package rlhf4j.ppo.dpo;

/** DPO loss families (TRL {@code loss_type}); Delta is the chosen minus rejected log-ratio. */
public enum DpoLossType {
  /** {@code -log sigmoid(beta * Delta)} (the default). */
  SIGMOID,
  /** {@code relu(1 - beta * Delta)}. */
  HINGE,
  /** {@code (Delta_w/|y_w| - Delta_l/|y_l| - 1/(2 beta))^2} with length-normalised log-ratios. */
  IPO,
  /**
   * {@code (-(1 - eps) log sigmoid(beta Delta) + eps log sigmoid(-beta Delta)) / (1 - 2 eps)}, eps
   * = {@code label_smoothing}.
   */
  ROBUST
}
