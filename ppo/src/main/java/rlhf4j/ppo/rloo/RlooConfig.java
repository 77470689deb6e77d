package rlhf4j.ppo.rloo;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import rlhf4j.ppo.ConfigChecks;
import rlhf4j.ppo.GroupTrainerBase;
import rlhf4j.ppo.grpo.RlWeights;

/**
 * Hyper-parameters of RLOO with the defaults of TRL v1.9's {@code RLOOConfig} ({@code
 * trl/trainer/rloo_config.py}; TRL names in brackets). Build with {@link #builder()}.
 *
 * @param numGenerations completions per prompt G, 2 ({@code num_generations}); at least 2
 * @param numIterations optimisation passes per generation batch, 1 ({@code num_iterations})
 * @param beta sequence-level k1 KL coefficient, 0.05 ({@code beta})
 * @param epsilon lower clip, 0.2 ({@code epsilon})
 * @param epsilonHigh upper clip, defaults to {@code epsilon} ({@code epsilon_high})
 * @param normalizeAdvantages normalise advantages over the batch, false ({@code
 *     normalize_advantages})
 * @param rewardClipRange {@code {min, max}} clip of the combined reward, none ({@code
 *     reward_clip_range})
 * @param maskTruncatedCompletions false ({@code mask_truncated_completions})
 * @param maxCompletionLength 512 ({@code max_completion_length})
 * @param temperature 1.0 ({@code temperature})
 * @param learningRate 1e-6 ({@code learning_rate})
 * @param rewardWeights one per reward function, empty for all 1 ({@code reward_weights})
 */
public record RlooConfig(
    int numGenerations,
    int numIterations,
    double beta,
    double epsilon,
    double epsilonHigh,
    boolean normalizeAdvantages,
    Optional<double[]> rewardClipRange,
    boolean maskTruncatedCompletions,
    int maxCompletionLength,
    double temperature,
    double learningRate,
    List<Double> rewardWeights)
    implements GroupTrainerBase.GroupConfig {

  /** Validates every field. */
  public RlooConfig {
    if (numGenerations < 2) {
      throw new IllegalArgumentException(
          "numGenerations must be >= 2 (the leave-one-out baseline needs a sibling), got "
              + numGenerations);
    }
    ConfigChecks.atLeast("numIterations", numIterations, 1);
    ConfigChecks.nonNegative("beta", beta);
    ConfigChecks.clip("epsilon", epsilon);
    ConfigChecks.nonNegative("epsilonHigh", epsilonHigh);
    rewardClipRange = rewardClipRange == null ? Optional.empty() : rewardClipRange;
    if (rewardClipRange.isPresent()) {
      double[] range = rewardClipRange.get().clone();
      if (range.length != 2 || !(range[0] < range[1])) {
        throw new IllegalArgumentException(
            "rewardClipRange must be {min, max} with min < max, got " + Arrays.toString(range));
      }
      rewardClipRange = Optional.of(range);
    }
    ConfigChecks.atLeast("maxCompletionLength", maxCompletionLength, 1);
    ConfigChecks.positive("temperature", temperature);
    ConfigChecks.positive("learningRate", learningRate);
    rewardWeights = List.copyOf(rewardWeights);
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

  /** The reward weights for {@code numFuncs} functions (all 1 when none were configured). */
  public double[] weights(int numFuncs) {
    return RlWeights.resolve(rewardWeights, numFuncs);
  }

  /** Whether the KL term needs the reference's log-probs ({@code beta != 0}). */
  public boolean needsReference() {
    return beta != 0.0;
  }

  /**
   * Whether old log-probs must be computed: for the KL ({@code beta != 0}) or for the ratio of
   * later iterations ({@code numIterations > 1}).
   */
  public boolean needsOldLogProbs() {
    return needsReference() || numIterations > 1;
  }

  /** The clip range as {@link RlooAdvantages#compute} takes it: a copy, or null. */
  public double[] clipRangeOrNull() {
    return rewardClipRange.map(double[]::clone).orElse(null);
  }

  /** Builder; every setter is optional. */
  public static final class Builder {
    private int numGenerations = 2; // TRL num_generations
    private int numIterations = 1; // TRL num_iterations
    private double beta = 0.05; // TRL beta
    private double epsilon = 0.2; // TRL epsilon
    private Double epsilonHigh = null; // TRL epsilon_high: None means epsilon
    private boolean normalizeAdvantages = false; // TRL normalize_advantages
    private double[] rewardClipRange = null; // TRL reward_clip_range: None
    private boolean maskTruncatedCompletions = false; // TRL mask_truncated_completions
    private int maxCompletionLength = 512; // TRL max_completion_length
    private double temperature = 1.0; // TRL temperature
    private double learningRate = 1e-6; // TRL learning_rate
    private List<Double> rewardWeights = List.of(); // TRL reward_weights: None means all 1

    private Builder() {}

    public Builder numGenerations(int v) {
      numGenerations = v;
      return this;
    }

    public Builder numIterations(int v) {
      numIterations = v;
      return this;
    }

    public Builder beta(double v) {
      beta = v;
      return this;
    }

    public Builder epsilon(double v) {
      epsilon = v;
      return this;
    }

    /** The upper clip; null means the same as epsilon. */
    public Builder epsilonHigh(Double v) {
      epsilonHigh = v;
      return this;
    }

    public Builder normalizeAdvantages(boolean v) {
      normalizeAdvantages = v;
      return this;
    }

    /** {@code {min, max}}, or null for none. */
    public Builder rewardClipRange(double[] v) {
      rewardClipRange = v;
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

    /** Validates and builds. */
    public RlooConfig build() {
      return new RlooConfig(
          numGenerations,
          numIterations,
          beta,
          epsilon,
          epsilonHigh == null ? epsilon : epsilonHigh,
          normalizeAdvantages,
          Optional.ofNullable(rewardClipRange),
          maskTruncatedCompletions,
          maxCompletionLength,
          temperature,
          learningRate,
          rewardWeights);
    }
  }
}
