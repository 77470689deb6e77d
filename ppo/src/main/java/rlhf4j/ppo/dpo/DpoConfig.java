package rlhf4j.ppo.dpo;

import java.util.Collections;
import java.util.List;
import rlhf4j.ppo.ConfigChecks;

/**
 * Hyper-parameters of DPO with the defaults of TRL v1.9's {@code DPOConfig} ({@code
 * trl/trainer/dpo_config.py}; TRL names in brackets). Build with {@link #builder()}.
 *
 * @param beta deviation from the reference, 0.1 ({@code beta}); the IPO tau
 * @param labelSmoothing assumed label-noise probability, 0 ({@code label_smoothing}); in [0, 0.5)
 *     for ROBUST
 * @param lossType the loss types, [SIGMOID] ({@code loss_type}, TRL default {@code ["sigmoid"]});
 *     several add up, each mean per-pair loss times its weight (MPO: {@code [sigmoid, bco_pair,
 *     sft]})
 * @param lossWeights one weight per loss type, all 1 by default ({@code loss_weights})
 * @param precomputeRefLogProbs compute the reference log-probs once before training, false ({@code
 *     precompute_ref_log_probs})
 * @param maxLength prompt plus completion token limit, 1024 ({@code max_length})
 * @param learningRate 1e-6 ({@code learning_rate})
 * @param discopopTau the temperature of DiscoPOP's blend, 0.05 ({@code discopop_tau}, TRL 1.13)
 * @param fDivergenceType the divergence to the reference, REVERSE_KL ({@code f_divergence_type},
 *     TRL 1.13); another one only with the loss types of {@link DpoFDivergence#SUPPORTED}
 * @param fAlphaDivergenceCoef alpha of ALPHA_DIVERGENCE, 0.5 ({@code f_alpha_divergence_coef})
 */
public record DpoConfig(
    double beta,
    double labelSmoothing,
    List<DpoLossType> lossType,
    List<Double> lossWeights,
    boolean precomputeRefLogProbs,
    int maxLength,
    double learningRate,
    double discopopTau,
    DpoFDivergence fDivergenceType,
    double fAlphaDivergenceCoef) {

  /** Validates every field. */
  public DpoConfig {
    ConfigChecks.positive("beta", beta);
    if (lossType == null || lossType.isEmpty() || lossType.stream().anyMatch(t -> t == null)) {
      throw new IllegalArgumentException(
          "lossType must name at least one loss type; TRL's default is [SIGMOID]");
    }
    lossType = List.copyOf(lossType);
    lossWeights = lossWeights == null ? Collections.nCopies(lossType.size(), 1.0) : lossWeights;
    lossWeights = List.copyOf(lossWeights);
    if (lossWeights.size() != lossType.size()) {
      throw new IllegalArgumentException(
          "lossWeights has "
              + lossWeights.size()
              + " weights for "
              + lossType.size()
              + " loss types "
              + lossType
              + "; give one weight per type");
    }
    for (double w : lossWeights) {
      if (!Double.isFinite(w)) {
        throw new IllegalArgumentException("lossWeights must be finite, got " + lossWeights);
      }
    }
    if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
      throw new IllegalArgumentException(
          "labelSmoothing must be in [0, 0.5), got " + labelSmoothing + " (TRL's rule for robust)");
    }
    if (lossType.contains(DpoLossType.EXO_PAIR) && !(labelSmoothing > 0)) {
      throw new IllegalArgumentException(
          "lossType EXO_PAIR needs labelSmoothing > 0 (its loss holds log(labelSmoothing)); the"
              + " EXO paper uses 1e-3");
    }
    ConfigChecks.positive("discopopTau", discopopTau);
    if (fDivergenceType == null) {
      throw new IllegalArgumentException("fDivergenceType must not be null; TRL's is REVERSE_KL");
    }
    if (fDivergenceType != DpoFDivergence.REVERSE_KL
        && !DpoFDivergence.SUPPORTED.containsAll(lossType)) {
      throw new IllegalArgumentException(
          "fDivergenceType "
              + fDivergenceType
              + " applies to the loss types "
              + DpoFDivergence.SUPPORTED
              + " only (the others have no f-divergence form), got "
              + lossType
              + "; use REVERSE_KL with these");
    }
    if (!Double.isFinite(fAlphaDivergenceCoef)) {
      throw new IllegalArgumentException(
          "fAlphaDivergenceCoef must be finite, got " + fAlphaDivergenceCoef);
    }
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
    private List<DpoLossType> lossType = List.of(DpoLossType.SIGMOID); // TRL loss_type ["sigmoid"]
    private List<Double> lossWeights = null; // TRL loss_weights: None, 1 each
    private boolean precomputeRefLogProbs = false; // TRL precompute_ref_log_probs
    private int maxLength = 1024; // TRL max_length
    private double learningRate = 1e-6; // TRL learning_rate
    private double discopopTau = 0.05; // TRL 1.13 discopop_tau
    private DpoFDivergence fDivergenceType = DpoFDivergence.REVERSE_KL; // TRL f_divergence_type
    private double fAlphaDivergenceCoef = 0.5; // TRL f_alpha_divergence_coef

    private Builder() {}

    public Builder beta(double v) {
      beta = v;
      return this;
    }

    public Builder labelSmoothing(double v) {
      labelSmoothing = v;
      return this;
    }

    /** One loss type. */
    public Builder lossType(DpoLossType v) {
      lossType = v == null ? null : List.of(v);
      return this;
    }

    /** Several loss types, added up with {@link #lossWeights}. */
    public Builder lossType(List<DpoLossType> v) {
      lossType = v;
      return this;
    }

    /** One weight per loss type; null for all 1. */
    public Builder lossWeights(List<Double> v) {
      lossWeights = v;
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

    /** The divergence to the reference. */
    public Builder fDivergenceType(DpoFDivergence v) {
      fDivergenceType = v;
      return this;
    }

    /** Alpha of the alpha-divergence. */
    public Builder fAlphaDivergenceCoef(double v) {
      fAlphaDivergenceCoef = v;
      return this;
    }

    /** Validates and builds. */
    public DpoConfig build() {
      return new DpoConfig(
          beta,
          labelSmoothing,
          lossType,
          lossWeights,
          precomputeRefLogProbs,
          maxLength,
          learningRate,
          discopopTau,
          fDivergenceType,
          fAlphaDivergenceCoef);
    }
  }
}
