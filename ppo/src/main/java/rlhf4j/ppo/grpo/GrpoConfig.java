package rlhf4j.ppo.grpo;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import rlhf4j.ppo.ConfigChecks;
import rlhf4j.ppo.GroupTrainerBase;

/**
 * Hyper-parameters of GRPO with the defaults of TRL v1.9's {@code GRPOConfig} ({@code
 * trl/trainer/grpo_config.py}; TRL field names in brackets). Build with {@link #builder()}, which
 * starts from these defaults.
 *
 * @param numGenerations completions per prompt G, 8 ({@code num_generations}); at least 2
 * @param numIterations optimisation passes per generation batch mu, 1 ({@code num_iterations}); old
 *     log-probs are recomputed only when it is above 1
 * @param epsilon lower clip, 0.2 ({@code epsilon})
 * @param epsilonHigh upper clip, defaults to {@code epsilon} ({@code epsilon_high}; null in the
 *     builder means "same as epsilon"); with {@link GrpoLossType#CISPO} the cap on the weight
 *     itself (ScaleRL recommends 5.0)
 * @param delta upper cap on the ratio, none ({@code delta})
 * @param beta k3 KL weight, 0.0 ({@code beta}; 0.04 before TRL v0.19)
 * @param lossType the per-token loss and its aggregation, DAPO ({@code loss_type}, the default
 *     since TRL v0.22)
 * @param scaleRewards advantage scaling, GROUP ({@code scale_rewards})
 * @param importanceSamplingLevel TOKEN ({@code importance_sampling_level}); SEQUENCE is GSPO
 * @param maskTruncatedCompletions drop completions without EOS from the loss, false ({@code
 *     mask_truncated_completions})
 * @param maxCompletionLength completion token limit, 512 ({@code max_completion_length}); the
 *     {@code dr_grpo} denominator
 * @param temperature sampling temperature, 1.0 ({@code temperature})
 * @param learningRate optimizer step size, 1e-6 ({@code learning_rate})
 * @param rewardWeights one weight per reward function, empty for all 1 ({@code reward_weights})
 * @param useBiasCorrectionKl the k3 KL times the importance weight (DeepSeek-V3.2's unbiased KL
 *     gradient; {@code use_bias_correction_kl}), false as before TRL had it (TRL 1.13 defaults to
 *     true); matters only with {@code beta != 0}
 * @param sapoTemperaturePos the SAPO gate's temperature where the advantage is positive, 1.0
 *     ({@code sapo_temperature_pos}, TRL 1.13)
 * @param sapoTemperatureNeg the SAPO gate's temperature elsewhere, 1.05 ({@code
 *     sapo_temperature_neg})
 * @param topEntropyQuantile the fraction of each mini-batch's tokens, highest entropy first, that
 *     the policy loss keeps, 1.0 ({@code top_entropy_quantile}, TRL 1.13; "Beyond the 80/20 Rule"
 *     recommends 0.2); the KL term keeps every token
 * @param offPolicyMaskThreshold DeepSeek-V3.2's off-policy sequence mask, none ({@code
 *     off_policy_mask_threshold}, TRL 1.13; e.g. 0.5): completions with a negative advantage whose
 *     mean log-ratio of old to current log-probs exceeds it leave the policy term
 * @param multiObjectiveAggregation how several reward functions combine, SUM_THEN_NORMALIZE ({@code
 *     multi_objective_aggregation}, TRL 1.13; NORMALIZE_THEN_SUM is GDPO, which takes no {@code
 *     scale_rewards})
 */
public record GrpoConfig(
    int numGenerations,
    int numIterations,
    double epsilon,
    double epsilonHigh,
    OptionalDouble delta,
    double beta,
    GrpoLossType lossType,
    ScaleRewards scaleRewards,
    ImportanceSamplingLevel importanceSamplingLevel,
    boolean maskTruncatedCompletions,
    int maxCompletionLength,
    double temperature,
    double learningRate,
    List<Double> rewardWeights,
    boolean useBiasCorrectionKl,
    double sapoTemperaturePos,
    double sapoTemperatureNeg,
    double topEntropyQuantile,
    OptionalDouble offPolicyMaskThreshold,
    MultiObjectiveAggregation multiObjectiveAggregation)
    implements GroupTrainerBase.GroupConfig {

  /** Validates every field; the message names the field, the rule and the value. */
  public GrpoConfig {
    if (numGenerations < 2) {
      throw new IllegalArgumentException(
          "numGenerations must be >= 2 (a group needs siblings to compare), got " + numGenerations);
    }
    ConfigChecks.atLeast("numIterations", numIterations, 1);
    ConfigChecks.clip("epsilon", epsilon);
    ConfigChecks.nonNegative("epsilonHigh", epsilonHigh);
    if (delta == null) {
      delta = OptionalDouble.empty();
    }
    if (delta.isPresent() && !(delta.getAsDouble() > 1 && Double.isFinite(delta.getAsDouble()))) {
      throw new IllegalArgumentException(
          "delta caps the ratio from above and must be finite and > 1, got "
              + delta.getAsDouble()
              + "; the two-sided-clipping paper suggests delta > 1 + epsilonHigh");
    }
    ConfigChecks.nonNegative("beta", beta);
    if (offPolicyMaskThreshold == null) {
      offPolicyMaskThreshold = OptionalDouble.empty();
    }
    GrpoLoss.Settings.checkGatesAndMasks(
        sapoTemperaturePos, sapoTemperatureNeg, topEntropyQuantile, offPolicyMaskThreshold);
    if (lossType == null || scaleRewards == null || importanceSamplingLevel == null) {
      throw new IllegalArgumentException(
          "lossType, scaleRewards and importanceSamplingLevel must not be null");
    }
    if (multiObjectiveAggregation == null) {
      throw new IllegalArgumentException("multiObjectiveAggregation must not be null");
    }
    if (multiObjectiveAggregation == MultiObjectiveAggregation.NORMALIZE_THEN_SUM
        && scaleRewards != ScaleRewards.GROUP) {
      throw new IllegalArgumentException(
          "scaleRewards "
              + scaleRewards
              + " has no effect with multiObjectiveAggregation NORMALIZE_THEN_SUM (GDPO normalises"
              + " each reward in its group, then the sum over the batch; TRL ignores scale_rewards"
              + " there); leave scaleRewards at GROUP");
    }
    ConfigChecks.atLeast("maxCompletionLength", maxCompletionLength, 1);
    ConfigChecks.positive("temperature", temperature);
    ConfigChecks.positive("learningRate", learningRate);
    rewardWeights = List.copyOf(rewardWeights);
    for (Double w : rewardWeights) {
      if (!Double.isFinite(w)) {
        throw new IllegalArgumentException("rewardWeights must be finite, got " + rewardWeights);
      }
    }
  }

  /** {@code numGenerations}, the completions per prompt. */
  @Override
  public int groupSize() {
    return numGenerations;
  }

  /** A builder starting from TRL v1.9's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The loss hyper-parameters. */
  public GrpoLoss.Settings lossSettings() {
    return new GrpoLoss.Settings(
        epsilon,
        epsilonHigh,
        delta,
        beta,
        lossType,
        importanceSamplingLevel,
        maxCompletionLength,
        useBiasCorrectionKl,
        sapoTemperaturePos,
        sapoTemperatureNeg,
        topEntropyQuantile,
        offPolicyMaskThreshold);
  }

  /**
   * The reward weights for {@code numFuncs} reward functions: all 1 when none were configured.
   *
   * @throws IllegalArgumentException when a different number of weights was configured
   */
  public double[] weights(int numFuncs) {
    return RlWeights.resolve(rewardWeights, numFuncs);
  }

  /** Whether old log-probs must be computed (TRL: only when {@code num_iterations > 1}). */
  public boolean needsOldLogProbs() {
    return numIterations > 1;
  }

  /** Whether a reference pass is needed at all ({@code beta != 0}). */
  public boolean needsReference() {
    return beta != 0.0;
  }

  /** Builder; every setter is optional. */
  public static final class Builder {
    private int numGenerations = 8; // TRL num_generations
    private int numIterations = 1; // TRL num_iterations
    private double epsilon = 0.2; // TRL epsilon
    private Double epsilonHigh = null; // TRL epsilon_high: None means epsilon
    private OptionalDouble delta = OptionalDouble.empty(); // TRL delta: None
    private double beta = 0.0; // TRL beta (since v0.19)
    private GrpoLossType lossType = GrpoLossType.DAPO; // TRL loss_type (since v0.22)
    private ScaleRewards scaleRewards = ScaleRewards.GROUP; // TRL scale_rewards
    private ImportanceSamplingLevel level = ImportanceSamplingLevel.TOKEN;
    private boolean maskTruncatedCompletions = false; // TRL mask_truncated_completions
    private int maxCompletionLength = 512; // TRL max_completion_length
    private double temperature = 1.0; // TRL temperature
    private double learningRate = 1e-6; // TRL learning_rate
    private List<Double> rewardWeights = List.of(); // TRL reward_weights: None means all 1
    private boolean useBiasCorrectionKl = false; // TRL 1.13 use_bias_correction_kl (default True)
    private double sapoTemperaturePos = 1.0; // TRL 1.13 sapo_temperature_pos
    private double sapoTemperatureNeg = 1.05; // TRL 1.13 sapo_temperature_neg
    private double topEntropyQuantile = 1.0; // TRL 1.13 top_entropy_quantile
    private OptionalDouble offPolicyMaskThreshold = OptionalDouble.empty(); // TRL 1.13: None
    private MultiObjectiveAggregation multiObjectiveAggregation =
        MultiObjectiveAggregation.SUM_THEN_NORMALIZE; // TRL 1.13 multi_objective_aggregation

    private Builder() {}

    public Builder numGenerations(int v) {
      numGenerations = v;
      return this;
    }

    public Builder numIterations(int v) {
      numIterations = v;
      return this;
    }

    public Builder epsilon(double v) {
      epsilon = v;
      return this;
    }

    /** The upper clip; null restores the default (same as epsilon). */
    public Builder epsilonHigh(Double v) {
      epsilonHigh = v;
      return this;
    }

    /** The ratio cap; null removes it. */
    public Builder delta(Double v) {
      delta = v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
      return this;
    }

    public Builder beta(double v) {
      beta = v;
      return this;
    }

    public Builder lossType(GrpoLossType v) {
      lossType = v;
      return this;
    }

    public Builder scaleRewards(ScaleRewards v) {
      scaleRewards = v;
      return this;
    }

    public Builder importanceSamplingLevel(ImportanceSamplingLevel v) {
      level = v;
      return this;
    }

    public Builder maskTruncatedCompletions(boolean v) {
      maskTruncatedCompletions = v;
      return this;
    }

    public Builder maxCompletionLength(int v) {
      maxCompletionLength = v;
      return this;
    }

    public Builder temperature(double v) {
      temperature = v;
      return this;
    }

    public Builder learningRate(double v) {
      learningRate = v;
      return this;
    }

    public Builder rewardWeights(double... v) {
      rewardWeights = Arrays.stream(v).boxed().toList();
      return this;
    }

    public Builder useBiasCorrectionKl(boolean v) {
      useBiasCorrectionKl = v;
      return this;
    }

    /** SAPO's gate temperature where the advantage is positive. */
    public Builder sapoTemperaturePos(double v) {
      sapoTemperaturePos = v;
      return this;
    }

    /** SAPO's gate temperature where the advantage is zero or negative. */
    public Builder sapoTemperatureNeg(double v) {
      sapoTemperatureNeg = v;
      return this;
    }

    /** The fraction of tokens, by entropy, the policy loss keeps. */
    public Builder topEntropyQuantile(double v) {
      topEntropyQuantile = v;
      return this;
    }

    /** The off-policy sequence mask's threshold; null removes it. */
    public Builder offPolicyMaskThreshold(Double v) {
      offPolicyMaskThreshold = v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
      return this;
    }

    /** How several reward functions combine into advantages. */
    public Builder multiObjectiveAggregation(MultiObjectiveAggregation v) {
      multiObjectiveAggregation = v;
      return this;
    }

    /** Validates and builds. */
    public GrpoConfig build() {
      return new GrpoConfig(
          numGenerations,
          numIterations,
          epsilon,
          epsilonHigh == null ? epsilon : epsilonHigh,
          delta,
          beta,
          lossType,
          scaleRewards,
          level,
          maskTruncatedCompletions,
          maxCompletionLength,
          temperature,
          learningRate,
          rewardWeights,
          useBiasCorrectionKl,
          sapoTemperaturePos,
          sapoTemperatureNeg,
          topEntropyQuantile,
          offPolicyMaskThreshold,
          multiObjectiveAggregation);
    }
  }
}
