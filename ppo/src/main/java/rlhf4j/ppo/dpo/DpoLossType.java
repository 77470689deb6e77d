package rlhf4j.ppo.dpo;

/**
 * DPO loss families (TRL 1.13 {@code loss_type}; {@link DpoConfig#lossType()} may add several up):
 * Delta is the chosen minus rejected log-ratio, lr_w and lr_l the log-ratios, r = beta times them.
 */
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
  ROBUST,
  /**
   * EXO-pref: {@code q_w (log q_w - log(1 - eps)) + q_l (log q_l - log eps)} with {@code q_w =
   * sigmoid(beta Delta)}, {@code q_l = sigmoid(-beta Delta)}, eps = {@code label_smoothing} (&gt;
   * 0; the EXO paper uses 1e-3).
   */
  EXO_PAIR,
  /**
   * NCA: {@code -log sigmoid(r_w) - log sigmoid(-r_w) / 2 - log sigmoid(-r_l) / 2}, r = beta times
   * each log-ratio.
   */
  NCA_PAIR,
  /** BCO on pairs: {@code -log sigmoid(r_w) - log sigmoid(-r_l)}. */
  BCO_PAIR,
  /**
   * SPPO with hard probabilities: {@code (lr_w - 1/(2 beta))^2 + (lr_l + 1/(2 beta))^2} of the
   * log-ratios lr.
   */
  SPPO_HARD,
  /** APO-zero: {@code 1 - sigmoid(r_w) + sigmoid(r_l)}. */
  APO_ZERO,
  /** APO-down: {@code sigmoid(r_w) + 1 - sigmoid(beta (lr_w - lr_l))}. */
  APO_DOWN,
  /**
   * DiscoPOP: the logistic loss {@code -log sigmoid(beta Delta)} and the exponential {@code
   * exp(-beta Delta)} blended by {@code sigmoid(beta Delta / discopop_tau)}.
   */
  DISCOPOP,
  /** {@code -log sigmoid(beta (lr_w/|y_w| - lr_l/|y_l|))} with length-normalised log-ratios. */
  SIGMOID_NORM,
  /**
   * AOT (alignment via optimal transport): the robust loss of the batch's sorted policy log-ratio
   * differences {@code logp(y_w) - logp(y_l)} against the sorted reference ones, pair by rank; the
   * ranks are those of the mini-batch.
   */
  AOT,
  /** AOT for unpaired data: the sorted chosen log-ratios against the sorted rejected ones. */
  AOT_UNPAIRED,
  /**
   * The chosen completions' mean token negative log-likelihood (SFT on y_w); no reference or
   * rejected completion enters.
   */
  SFT
}
