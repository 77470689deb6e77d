package rlhf4j.ppo.grpo;

/** Where GRPO takes the importance ratio (TRL {@code importance_sampling_level}). */
public enum ImportanceSamplingLevel {
  /** One ratio per token: {@code exp(logp - oldLogp)} (the default). */
  TOKEN,
  /** One ratio per sequence, exp of the masked mean of the token log-ratios (GSPO). */
  SEQUENCE
}
