package rlhf4j.reward.model;

import java.util.Objects;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.policy.optim.LrScheduleType;

/**
 * Hyper-parameters of {@link RewardTrainer}. Defaults follow TRL's {@code RewardConfig} and the
 * transformers {@code TrainingArguments} it extends, except where noted.
 *
 * @param epochs passes over the training pairs; transformers default 3
 * @param batchSize preference pairs per optimizer step (2× as many sequences per forward);
 *     transformers {@code per_device_train_batch_size} 8
 * @param evalBatchSize pairs per forward pass when evaluating; transformers 8
 * @param learningRate peak learning rate; TRL {@code RewardConfig} 1e-4, meant for fine-tuning a
 *     pretrained backbone. Tiny randomly initialised models learn faster with about 1e-3 (the
 *     separable-preference test uses 2e-3)
 * @param schedule learning-rate shape after warm-up; transformers default linear decay to 0
 * @param warmupRatio fraction of the steps spent warming up linearly from 0; transformers 0
 * @param optimizer AdamW moments and weight decay; default betas (0.9, 0.999), eps 1e-8 (torch) and
 *     weight decay 0 (transformers {@code weight_decay}; torch's own default is 0.01)
 * @param maxGradNorm global gradient-norm clip; transformers 1.0; 0 disables clipping
 * @param centerRewardsCoefficient c of the centring term {@code c·mean((r_c + r_r)²)}; TRL {@code
 *     center_rewards_coefficient} None (0); Eisenstein et al. recommend 0.01
 * @param maxLength pairs with a longer sequence (in tokens) are dropped; TRL {@code max_length}
 *     1024
 * @param seed shuffling seed; transformers 42
 * @param gradientCheckpointing recompute each block in the backward instead of keeping its
 *     activations ({@code CausalLM.backward}); same gradients up to rounding; transformers {@code
 *     gradient_checkpointing} false
 */
public record RewardTrainerConfig(
    int epochs,
    int batchSize,
    int evalBatchSize,
    double learningRate,
    LrScheduleType schedule,
    double warmupRatio,
    AdamWConfig optimizer,
    double maxGradNorm,
    double centerRewardsCoefficient,
    int maxLength,
    long seed,
    boolean gradientCheckpointing) {

  /** Validates every field; messages name the field and the value. */
  public RewardTrainerConfig {
    positive("epochs", epochs);
    positive("batchSize", batchSize);
    positive("evalBatchSize", evalBatchSize);
    positive("maxLength", maxLength);
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException(
          "learningRate must be finite and > 0, got " + learningRate);
    }
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(optimizer, "optimizer");
    if (!(warmupRatio >= 0 && warmupRatio <= 1)) {
      throw new IllegalArgumentException("warmupRatio must be in [0, 1], got " + warmupRatio);
    }
    if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
      throw new IllegalArgumentException(
          "maxGradNorm must be finite and >= 0 (0 disables clipping), got " + maxGradNorm);
    }
    if (!(centerRewardsCoefficient >= 0) || Double.isInfinite(centerRewardsCoefficient)) {
      throw new IllegalArgumentException(
          "centerRewardsCoefficient must be finite and >= 0, got " + centerRewardsCoefficient);
    }
  }

  private static void positive(String field, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException(field + " must be > 0, got " + v);
    }
  }

  /** The documented defaults. */
  public static RewardTrainerConfig defaults() {
    return builder().build();
  }

  /** A builder starting from the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this config's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.epochs = epochs;
    b.batchSize = batchSize;
    b.evalBatchSize = evalBatchSize;
    b.learningRate = learningRate;
    b.schedule = schedule;
    b.warmupRatio = warmupRatio;
    b.optimizer = optimizer;
    b.maxGradNorm = maxGradNorm;
    b.centerRewardsCoefficient = centerRewardsCoefficient;
    b.maxLength = maxLength;
    b.seed = seed;
    b.gradientCheckpointing = gradientCheckpointing;
    return b;
  }

  /** Builder for {@link RewardTrainerConfig}. */
  public static final class Builder {
    private int epochs = 3; // transformers num_train_epochs
    private int batchSize = 8; // transformers per_device_train_batch_size
    private int evalBatchSize = 8; // transformers per_device_eval_batch_size
    private double learningRate = 1e-4; // TRL RewardConfig
    private LrScheduleType schedule = LrScheduleType.LINEAR; // transformers lr_scheduler_type
    private double warmupRatio = 0; // transformers
    private AdamWConfig optimizer =
        AdamWConfig.builder().optWeightDecay(0).build(); // transformers weight_decay 0
    private double maxGradNorm = 1.0; // transformers max_grad_norm
    private double centerRewardsCoefficient = 0; // TRL center_rewards_coefficient None
    private int maxLength = 1024; // TRL RewardConfig max_length
    private long seed = 42; // transformers seed
    private boolean gradientCheckpointing = false; // transformers gradient_checkpointing

    private Builder() {}

    /** Passes over the data (default 3). */
    public Builder optEpochs(int epochs) {
      this.epochs = epochs;
      return this;
    }

    /** Pairs per optimizer step (default 8). */
    public Builder optBatchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /** Pairs per evaluation forward pass (default 8). */
    public Builder optEvalBatchSize(int evalBatchSize) {
      this.evalBatchSize = evalBatchSize;
      return this;
    }

    /** Peak learning rate (default 1e-4). */
    public Builder optLearningRate(double learningRate) {
      this.learningRate = learningRate;
      return this;
    }

    /** Learning-rate shape (default LINEAR). */
    public Builder optSchedule(LrScheduleType schedule) {
      this.schedule = schedule;
      return this;
    }

    /** Warm-up fraction of the steps (default 0). */
    public Builder optWarmupRatio(double warmupRatio) {
      this.warmupRatio = warmupRatio;
      return this;
    }

    /** AdamW settings (default betas 0.9/0.999, eps 1e-8, weight decay 0). */
    public Builder optOptimizer(AdamWConfig optimizer) {
      this.optimizer = optimizer;
      return this;
    }

    /** AdamW's decoupled weight decay, keeping the other optimizer settings (default 0). */
    public Builder optWeightDecay(double weightDecay) {
      this.optimizer =
          new AdamWConfig(
              optimizer.beta1(),
              optimizer.beta2(),
              optimizer.eps(),
              weightDecay,
              optimizer.decoupled());
      return this;
    }

    /** Gradient-norm clip, 0 for none (default 1.0). */
    public Builder optMaxGradNorm(double maxGradNorm) {
      this.maxGradNorm = maxGradNorm;
      return this;
    }

    /** Centring coefficient c (default 0). */
    public Builder optCenterRewardsCoefficient(double centerRewardsCoefficient) {
      this.centerRewardsCoefficient = centerRewardsCoefficient;
      return this;
    }

    /** Longest sequence kept, in tokens (default 1024). */
    public Builder optMaxLength(int maxLength) {
      this.maxLength = maxLength;
      return this;
    }

    /** Shuffling seed (default 42). */
    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Recompute blocks in the backward to save activation memory (default false). */
    public Builder optGradientCheckpointing(boolean gradientCheckpointing) {
      this.gradientCheckpointing = gradientCheckpointing;
      return this;
    }

    /** Builds and validates. */
    public RewardTrainerConfig build() {
      return new RewardTrainerConfig(
          epochs,
          batchSize,
          evalBatchSize,
          learningRate,
          schedule,
          warmupRatio,
          optimizer,
          maxGradNorm,
          centerRewardsCoefficient,
          maxLength,
          seed,
          gradientCheckpointing);
    }
  }
}
