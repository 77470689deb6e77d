package rlhf4j.ppo;

import java.util.Optional;
import java.util.OptionalDouble;
import rlhf4j.ppo.math.KlPenalty;
import rlhf4j.ppo.math.PpoLoss;
import rlhf4j.reward.norm.ScoreTransformConfig;

/**
 * Hyper-parameters of classic PPO for language models, with the defaults of TRL's legacy {@code
 * PPOConfig} (v0.11.4; TRL field names in brackets). Build with {@link #builder()}, which starts
 * from these defaults.
 *
 * @param learningRate optimizer step size, 1.41e-5 ({@code learning_rate})
 * @param initKlCoef starting KL coefficient beta, 0.2 ({@code init_kl_coef})
 * @param adaptiveKl adapt beta towards {@code klTarget}, true ({@code adap_kl_ctrl})
 * @param klTarget target per-sequence KL in nats for the adaptive controller, 6 ({@code target})
 * @param klHorizon adaptive controller horizon in rollouts, 10000 ({@code horizon})
 * @param klPenalty per-token KL estimator, KL ({@code kl_penalty})
 * @param gamma GAE discount, 1 ({@code gamma})
 * @param lam GAE lambda, 0.95 ({@code lam})
 * @param clipRange policy ratio clip epsilon, 0.2 ({@code cliprange})
 * @param valueClipRange value clip around the old values, 0.2 ({@code cliprange_value})
 * @param vfCoef value loss weight, 0.1 ({@code vf_coef})
 * @param batchSize rollouts per PPO step, 128 ({@code batch_size})
 * @param miniBatchSize rollouts per forward/backward pass, 128 ({@code mini_batch_size}); the
 *     builder lowers the default to {@code batchSize} when that is smaller and this is not set
 * @param gradientAccumulationSteps minibatches per optimizer step, 1 ({@code
 *     gradient_accumulation_steps})
 * @param ppoEpochs optimisation epochs per batch, 4 ({@code ppo_epochs})
 * @param maxGradNorm global gradient-norm clip, none ({@code max_grad_norm})
 * @param earlyStopping stop the epochs when {@code policykl > 1.5 * targetKl}, false ({@code
 *     early_stopping})
 * @param targetKl early-stopping KL, 1.0 ({@code target_kl})
 * @param ratioThreshold skip a minibatch whose mean ratio exceeds this, 10 ({@code
 *     ratio_threshold})
 * @param whitenRewards whiten per-token rewards before GAE, false ({@code whiten_rewards})
 * @param useScoreScaling divide scores by their running std, false ({@code use_score_scaling})
 * @param useScoreNorm also subtract the running mean (needs {@code useScoreScaling}), false ({@code
 *     use_score_norm})
 * @param scoreClip clip scores to +-this, none ({@code score_clip})
 * @param temperature sampling temperature of the rollouts, 1.0
 * @param seed random seed, 0
 */
public record PpoConfig(
    double learningRate,
    double initKlCoef,
    boolean adaptiveKl,
    double klTarget,
    long klHorizon,
    KlPenalty klPenalty,
    double gamma,
    double lam,
    double clipRange,
    double valueClipRange,
    double vfCoef,
    int batchSize,
    int miniBatchSize,
    int gradientAccumulationSteps,
    int ppoEpochs,
    OptionalDouble maxGradNorm,
    boolean earlyStopping,
    double targetKl,
    double ratioThreshold,
    boolean whitenRewards,
    boolean useScoreScaling,
    boolean useScoreNorm,
    OptionalDouble scoreClip,
    double temperature,
    long seed) {

  /** Validates every field; messages name the field, the value and the fix. */
  public PpoConfig {
    ConfigChecks.positive("learningRate", learningRate, "TRL uses 1.41e-5");
    ConfigChecks.nonNegative("initKlCoef", initKlCoef, "TRL uses 0.2");
    ConfigChecks.positive("klTarget", klTarget, "TRL uses 6");
    if (klHorizon <= 0) {
      throw new IllegalArgumentException(
          "klHorizon must be > 0, got " + klHorizon + "; TRL uses 10000");
    }
    if (klPenalty == null) {
      throw new IllegalArgumentException("klPenalty must not be null; TRL uses KlPenalty.KL");
    }
    unitInterval("gamma", gamma, "TRL uses 1");
    unitInterval("lam", lam, "TRL uses 0.95");
    if (!(clipRange > 0 && clipRange < 1)) {
      throw new IllegalArgumentException(
          "clipRange must be in (0, 1), got " + clipRange + "; TRL uses 0.2");
    }
    ConfigChecks.positive("valueClipRange", valueClipRange, "TRL uses 0.2");
    ConfigChecks.nonNegative("vfCoef", vfCoef, "TRL uses 0.1");
    ConfigChecks.atLeast("batchSize", batchSize, 1);
    ConfigChecks.atLeast("miniBatchSize", miniBatchSize, 1);
    ConfigChecks.atLeast("gradientAccumulationSteps", gradientAccumulationSteps, 1);
    ConfigChecks.atLeast("ppoEpochs", ppoEpochs, 1);
    long backward = (long) miniBatchSize * gradientAccumulationSteps;
    if (batchSize % backward != 0) {
      throw new IllegalArgumentException(
          "batchSize must be a multiple of miniBatchSize * gradientAccumulationSteps, got batchSize "
              + batchSize
              + " and "
              + miniBatchSize
              + " * "
              + gradientAccumulationSteps
              + " = "
              + backward
              + "; change batchSize or miniBatchSize");
    }
    if (maxGradNorm == null) {
      throw new IllegalArgumentException(
          "maxGradNorm must not be null; use OptionalDouble.empty() for no clipping");
    }
    if (maxGradNorm.isPresent()) {
      ConfigChecks.positive(
          "maxGradNorm", maxGradNorm.getAsDouble(), "or leave it empty for no clipping");
    }
    ConfigChecks.positive("targetKl", targetKl, "TRL uses 1.0");
    ConfigChecks.positive("ratioThreshold", ratioThreshold, "TRL uses 10");
    if (useScoreNorm && !useScoreScaling) {
      throw new IllegalArgumentException(
          "useScoreNorm is true but useScoreScaling is false; score normalisation only applies"
              + " with scaling (as in TRL): set useScoreScaling(true) or useScoreNorm(false)");
    }
    if (scoreClip == null) {
      throw new IllegalArgumentException(
          "scoreClip must not be null; use OptionalDouble.empty() for no clipping");
    }
    if (scoreClip.isPresent()) {
      ConfigChecks.positive(
          "scoreClip", scoreClip.getAsDouble(), "or leave it empty for no clipping");
    }
    ConfigChecks.positive("temperature", temperature, "use 1.0 to sample from the policy itself");
  }

  /** A builder holding the TRL defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this config's values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Rollouts per optimizer step: {@code miniBatchSize * gradientAccumulationSteps}. */
  public int backwardBatchSize() {
    return miniBatchSize * gradientAccumulationSteps;
  }

  /**
   * How scores are scaled and clipped before the rewards (TRL does it at the start of {@code
   * step}): empty when neither {@code useScoreScaling} nor {@code scoreClip} is set.
   */
  public Optional<ScoreTransformConfig> scoreTransform() {
    if (!useScoreScaling && scoreClip.isEmpty()) {
      return Optional.empty();
    }
    ScoreTransformConfig.Mode mode = ScoreTransformConfig.Mode.NONE;
    if (useScoreScaling) {
      mode = useScoreNorm ? ScoreTransformConfig.Mode.NORM : ScoreTransformConfig.Mode.SCALE;
    }
    ScoreTransformConfig.Builder b = ScoreTransformConfig.builder().mode(mode);
    scoreClip.ifPresent(b::scoreClip);
    return Optional.of(b.build());
  }

  /** The loss hyper-parameters for {@link PpoLoss#compute}: a view, validated here. */
  public PpoLoss.Settings lossSettings() {
    return new PpoLoss.Settings(clipRange, valueClipRange, vfCoef, ratioThreshold);
  }

  private static void unitInterval(String field, double value, String hint) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(field + " must be in [0, 1], got " + value + "; " + hint);
    }
  }

  /** Mutable builder; starts from TRL's classic defaults. */
  public static final class Builder {
    private double learningRate = 1.41e-5; // TRL learning_rate
    private double initKlCoef = 0.2; // TRL init_kl_coef
    private boolean adaptiveKl = true; // TRL adap_kl_ctrl
    private double klTarget = 6; // TRL target
    private long klHorizon = 10_000; // TRL horizon
    private KlPenalty klPenalty = KlPenalty.KL; // TRL kl_penalty
    private double gamma = 1; // TRL gamma
    private double lam = 0.95; // TRL lam
    private double clipRange = 0.2; // TRL cliprange
    private double valueClipRange = 0.2; // TRL cliprange_value
    private double vfCoef = 0.1; // TRL vf_coef
    private int batchSize = 128; // TRL batch_size
    private int miniBatchSize = 128; // TRL mini_batch_size; capped at batchSize unless set
    private boolean miniBatchSizeSet = false;
    private int gradientAccumulationSteps = 1; // TRL gradient_accumulation_steps
    private int ppoEpochs = 4; // TRL ppo_epochs
    private OptionalDouble maxGradNorm = OptionalDouble.empty(); // TRL max_grad_norm None
    private boolean earlyStopping = false; // TRL early_stopping
    private double targetKl = 1.0; // TRL target_kl
    private double ratioThreshold = 10; // TRL ratio_threshold
    private boolean whitenRewards = false; // TRL whiten_rewards
    private boolean useScoreScaling = false; // TRL use_score_scaling
    private boolean useScoreNorm = false; // TRL use_score_norm
    private OptionalDouble scoreClip = OptionalDouble.empty(); // TRL score_clip None
    private double temperature = 1.0; // sample from the policy itself
    private long seed = 0;

    private Builder() {}

    private Builder(PpoConfig c) {
      learningRate = c.learningRate;
      initKlCoef = c.initKlCoef;
      adaptiveKl = c.adaptiveKl;
      klTarget = c.klTarget;
      klHorizon = c.klHorizon;
      klPenalty = c.klPenalty;
      gamma = c.gamma;
      lam = c.lam;
      clipRange = c.clipRange;
      valueClipRange = c.valueClipRange;
      vfCoef = c.vfCoef;
      batchSize = c.batchSize;
      miniBatchSize = c.miniBatchSize;
      miniBatchSizeSet = true;
      gradientAccumulationSteps = c.gradientAccumulationSteps;
      ppoEpochs = c.ppoEpochs;
      maxGradNorm = c.maxGradNorm;
      earlyStopping = c.earlyStopping;
      targetKl = c.targetKl;
      ratioThreshold = c.ratioThreshold;
      whitenRewards = c.whitenRewards;
      useScoreScaling = c.useScoreScaling;
      useScoreNorm = c.useScoreNorm;
      scoreClip = c.scoreClip;
      temperature = c.temperature;
      seed = c.seed;
    }

    /** See {@link PpoConfig#learningRate()}. */
    public Builder learningRate(double v) {
      learningRate = v;
      return this;
    }

    /** See {@link PpoConfig#initKlCoef()}. */
    public Builder initKlCoef(double v) {
      initKlCoef = v;
      return this;
    }

    /** See {@link PpoConfig#adaptiveKl()}. */
    public Builder adaptiveKl(boolean v) {
      adaptiveKl = v;
      return this;
    }

    /** See {@link PpoConfig#klTarget()}. */
    public Builder klTarget(double v) {
      klTarget = v;
      return this;
    }

    /** See {@link PpoConfig#klHorizon()}. */
    public Builder klHorizon(long v) {
      klHorizon = v;
      return this;
    }

    /** See {@link PpoConfig#klPenalty()}. */
    public Builder klPenalty(KlPenalty v) {
      klPenalty = v;
      return this;
    }

    /** See {@link PpoConfig#gamma()}. */
    public Builder gamma(double v) {
      gamma = v;
      return this;
    }

    /** See {@link PpoConfig#lam()}. */
    public Builder lam(double v) {
      lam = v;
      return this;
    }

    /** See {@link PpoConfig#clipRange()}. */
    public Builder clipRange(double v) {
      clipRange = v;
      return this;
    }

    /** See {@link PpoConfig#valueClipRange()}. */
    public Builder valueClipRange(double v) {
      valueClipRange = v;
      return this;
    }

    /** See {@link PpoConfig#vfCoef()}. */
    public Builder vfCoef(double v) {
      vfCoef = v;
      return this;
    }

    /** See {@link PpoConfig#batchSize()}. */
    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    /** See {@link PpoConfig#miniBatchSize()}. */
    public Builder miniBatchSize(int v) {
      miniBatchSize = v;
      miniBatchSizeSet = true;
      return this;
    }

    /** See {@link PpoConfig#gradientAccumulationSteps()}. */
    public Builder gradientAccumulationSteps(int v) {
      gradientAccumulationSteps = v;
      return this;
    }

    /** See {@link PpoConfig#ppoEpochs()}. */
    public Builder ppoEpochs(int v) {
      ppoEpochs = v;
      return this;
    }

    /** Clips the global gradient norm to {@code v}; see {@link PpoConfig#maxGradNorm()}. */
    public Builder maxGradNorm(double v) {
      maxGradNorm = OptionalDouble.of(v);
      return this;
    }

    /** See {@link PpoConfig#maxGradNorm()}; empty disables clipping. */
    public Builder maxGradNorm(OptionalDouble v) {
      maxGradNorm = v;
      return this;
    }

    /** See {@link PpoConfig#earlyStopping()}. */
    public Builder earlyStopping(boolean v) {
      earlyStopping = v;
      return this;
    }

    /** See {@link PpoConfig#targetKl()}. */
    public Builder targetKl(double v) {
      targetKl = v;
      return this;
    }

    /** See {@link PpoConfig#ratioThreshold()}. */
    public Builder ratioThreshold(double v) {
      ratioThreshold = v;
      return this;
    }

    /** See {@link PpoConfig#whitenRewards()}. */
    public Builder whitenRewards(boolean v) {
      whitenRewards = v;
      return this;
    }

    /** See {@link PpoConfig#useScoreScaling()}. */
    public Builder useScoreScaling(boolean v) {
      useScoreScaling = v;
      return this;
    }

    /** See {@link PpoConfig#useScoreNorm()}. */
    public Builder useScoreNorm(boolean v) {
      useScoreNorm = v;
      return this;
    }

    /** Clips scores to {@code [-v, v]}; see {@link PpoConfig#scoreClip()}. */
    public Builder scoreClip(double v) {
      scoreClip = OptionalDouble.of(v);
      return this;
    }

    /** See {@link PpoConfig#scoreClip()}; empty disables clipping. */
    public Builder scoreClip(OptionalDouble v) {
      scoreClip = v;
      return this;
    }

    /** See {@link PpoConfig#temperature()}. */
    public Builder temperature(double v) {
      temperature = v;
      return this;
    }

    /** See {@link PpoConfig#seed()}. */
    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** The validated config. */
    public PpoConfig build() {
      return new PpoConfig(
          learningRate,
          initKlCoef,
          adaptiveKl,
          klTarget,
          klHorizon,
          klPenalty,
          gamma,
          lam,
          clipRange,
          valueClipRange,
          vfCoef,
          batchSize,
          miniBatchSizeSet ? miniBatchSize : Math.max(1, Math.min(miniBatchSize, batchSize)),
          gradientAccumulationSteps,
          ppoEpochs,
          maxGradNorm,
          earlyStopping,
          targetKl,
          ratioThreshold,
          whitenRewards,
          useScoreScaling,
          useScoreNorm,
          scoreClip,
          temperature,
          seed);
    }
  }
}
