package rlhf4j.ppo.dpo;

import rlhf4j.ppo.ConfigChecks;

/**
 * Hyper-parameters of DPO with the defaults of TRL v1.9's {@code DPOConfig} ({@code
 * trl/trainer/dpo_config.py}; TRL names in brackets). Build with {@link #builder()}.
 *
 * @param beta deviation from the reference, 0.1 ({@code beta}); the IPO tau
 * @param labelSmoothing assumed label-noise probability, 0 ({@code label_smoothing}); in [0, 0.5)
 *     for ROBUST
 * @param lossType SIGMOID ({@code loss_type}, TRL default {@code ["sigmoid"]}; one type here)
 * @param precomputeRefLogProbs compute the reference log-probs once before training, false ({@code
 *     precompute_ref_log_probs})
 * @param maxLength prompt plus completion token limit, 1024 ({@code max_length})
 * @param learningRate 1e-6 ({@code learning_rate})
 * @param discopopTau the temperature of DiscoPOP's blend, 0.05 ({@code discopop_tau}, TRL 1.13)
 */
public record DpoConfig(
    double beta,
    double labelSmoothing,
    DpoLossType lossType,
    boolean precomputeRefLogProbs,
    int maxLength,
    double learningRate,
    double discopopTau) {

  /** Validates every field. */
  public DpoConfig {
    ConfigChecks.positive("beta", beta);
    if (lossType == null) {
      throw new IllegalArgumentException("lossType must not be null; TRL's default is SIGMOID");
    }
    if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
      throw new IllegalArgumentException(
          "labelSmoothing must be in [0, 0.5), got " + labelSmoothing + " (TRL's rule for robust)");
    }
    if (lossType == DpoLossType.EXO_PAIR && !(labelSmoothing > 0)) {
      throw new IllegalArgumentException(
          "lossType EXO_PAIR needs labelSmoothing > 0 (its loss holds log(labelSmoothing)); the"
              + " EXO paper uses 1e-3");
    }
    ConfigChecks.positive("discopopTau", discopopTau);
    ConfigChecks.atLeast("maxLength", maxLength, 2);
    ConfigChecks.positive("learningRate", learningRate);
  }

  /** A builder starting from TRL v1.9's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder; every setter is optional. */
  public static final class Builder {
    private double beta = 0.1; // TRL beta
    private double labelSmoothing = 0.0; // TRL label_smoothing
    private DpoLossType lossType = DpoLossType.SIGMOID; // TRL loss_type ["sigmoid"]
    private boolean precomputeRefLogProbs = false; // TRL precompute_ref_log_probs
    private int maxLength = 1024; // TRL max_length
    private double learningRate = 1e-6; // TRL learning_rate
    private double discopopTau = 0.05; // TRL 1.13 discopop_tau

    private Builder() {}

    public Builder beta(double v) {
      beta = v;
      return this;
    }

    public Builder labelSmoothing(double v) {
      labelSmoothing = v;
      return this;
    }

    public Builder lossType(DpoLossType v) {
      lossType = v;
      return this;
    }

    public Builder precomputeRefLogProbs(boolean v) {
      precomputeRefLogProbs = v;
      return this;
    }

    public Builder maxLength(int v) {
      maxLength = v;
      return this;
    }

    public Builder learningRate(double v) {
      learningRate = v;
      return this;
    }

    /** The temperature of DiscoPOP's blend. */
    public Builder discopopTau(double v) {
      discopopTau = v;
      return this;
    }

    /** Validates and builds. */
    public DpoConfig build() {
      return new DpoConfig(
          beta,
          labelSmoothing,
          lossType,
          precomputeRefLogProbs,
          maxLength,
          learningRate,
          discopopTau);
    }
  }
}
