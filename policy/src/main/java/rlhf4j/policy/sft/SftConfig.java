package rlhf4j.policy.sft;

import java.util.Objects;
import rlhf4j.policy.optim.LrScheduleType;

/**
 * Hyper-parameters of supervised fine-tuning. Defaults follow TRL's {@code SFTConfig} and the
 * transformers {@code TrainingArguments} it inherits; {@link #builder()} starts from them.
 *
 * <p>The default learning rate 2e-5 suits pretrained models of 100M+ parameters. Tiny randomly
 * initialised models (the {@code nano}/{@code tiny} presets) want about 1e-3.
 *
 * @param learningRate peak AdamW learning rate; TRL SFTConfig {@code learning_rate} 2e-5
 * @param epochs passes over the data when {@code maxSteps} is -1; transformers {@code
 *     num_train_epochs} 3
 * @param maxSteps total optimizer steps, overriding {@code epochs} (the data repeats as needed); -1
 *     for none; transformers {@code max_steps} -1
 * @param batchSize rows per optimizer step; transformers {@code per_device_train_batch_size} 8
 * @param maxLength tokens per row: longer examples keep their start (TRL {@code truncation_mode
 *     keep_start}); with packing, the length of every packed row; TRL {@code max_length} 1024
 * @param scheduler learning-rate schedule after warm-up; transformers {@code lr_scheduler_type}
 *     linear
 * @param warmupRatio fraction of the steps spent warming up linearly from 0; transformers {@code
 *     warmup_ratio} 0
 * @param weightDecay decoupled AdamW weight decay; transformers {@code weight_decay} 0
 * @param maxGradNorm clip the global gradient norm to this value, 0 for no clipping; transformers
 *     {@code max_grad_norm} 1.0
 * @param seed seed of the shuffling RNG; transformers {@code seed} 42
 * @param completionOnlyLoss for prompt/completion examples, give prompt tokens loss weight 0; TRL
 *     {@code completion_only_loss} (None means true for prompt/completion data)
 * @param packing concatenate all examples and cut the stream into rows of exactly {@code maxLength}
 *     tokens (attention crosses example boundaries, as in TRL's classic packing); TRL {@code
 *     packing} false
 * @param logEvery call the listener every this many steps; TRL {@code logging_steps} 10
 * @param gradientCheckpointing recompute each block in the backward instead of keeping its
 *     activations (less memory, one more forward per step); transformers {@code
 *     gradient_checkpointing} false
 */
public record SftConfig(
    double learningRate,
    int epochs,
    long maxSteps,
    int batchSize,
    int maxLength,
    LrScheduleType scheduler,
    double warmupRatio,
    double weightDecay,
    double maxGradNorm,
    long seed,
    boolean completionOnlyLoss,
    boolean packing,
    int logEvery,
    boolean gradientCheckpointing) {

  /** Validates every field; messages name the field and the value. */
  public SftConfig {
    Objects.requireNonNull(scheduler, "scheduler");
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException(
          "learningRate must be finite and > 0, got " + learningRate);
    }
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
    }
    if (maxSteps != -1 && maxSteps < 1) {
      throw new IllegalArgumentException(
          "maxSteps must be -1 (use epochs) or >= 1, got " + maxSteps);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    }
    if (maxLength < 2) {
      throw new IllegalArgumentException(
          "maxLength must be >= 2 (one input and one target token), got " + maxLength);
    }
    if (!(warmupRatio >= 0 && warmupRatio <= 1)) {
      throw new IllegalArgumentException("warmupRatio must be in [0, 1], got " + warmupRatio);
    }
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new IllegalArgumentException("weightDecay must be finite and >= 0, got " + weightDecay);
    }
    if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
      throw new IllegalArgumentException(
          "maxGradNorm must be finite and >= 0 (0 disables clipping), got " + maxGradNorm);
    }
    if (logEvery < 1) {
      throw new IllegalArgumentException("logEvery must be >= 1, got " + logEvery);
    }
  }

  /** The TRL/transformers defaults documented on each field. */
  public static SftConfig defaults() {
    return builder().build();
  }

  /** A builder starting from the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this config's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.learningRate = learningRate;
    b.epochs = epochs;
    b.maxSteps = maxSteps;
    b.batchSize = batchSize;
    b.maxLength = maxLength;
    b.scheduler = scheduler;
    b.warmupRatio = warmupRatio;
    b.weightDecay = weightDecay;
    b.maxGradNorm = maxGradNorm;
    b.seed = seed;
    b.completionOnlyLoss = completionOnlyLoss;
    b.packing = packing;
    b.logEvery = logEvery;
    b.gradientCheckpointing = gradientCheckpointing;
    return b;
  }

  /**
   * Optimizer steps of a run over {@code rows} training rows: {@code maxSteps} if set, else {@code
   * epochs · ceil(rows / batchSize)} (the last batch of an epoch may be smaller).
   */
  public long totalSteps(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("need at least one training row, got " + rows);
    }
    return maxSteps > 0 ? maxSteps : (long) epochs * batchesPerEpoch(rows);
  }

  /** Batches in one pass over {@code rows} rows. */
  public int batchesPerEpoch(int rows) {
    return (rows + batchSize - 1) / batchSize;
  }

  /** Builder for {@link SftConfig}; every setter documents its default. */
  public static final class Builder {
    private double learningRate = 2e-5; // TRL SFTConfig learning_rate
    private int epochs = 3; // transformers num_train_epochs
    private long maxSteps = -1; // transformers max_steps
    private int batchSize = 8; // transformers per_device_train_batch_size
    private int maxLength = 1024; // TRL SFTConfig max_length
    private LrScheduleType scheduler = LrScheduleType.LINEAR; // transformers lr_scheduler_type
    private double warmupRatio = 0.0; // transformers warmup_ratio
    private double weightDecay = 0.0; // transformers weight_decay
    private double maxGradNorm = 1.0; // transformers max_grad_norm
    private long seed = 42; // transformers seed
    private boolean completionOnlyLoss = true; // TRL: None → true for prompt/completion data
    private boolean packing = false; // TRL SFTConfig packing
    private boolean gradientCheckpointing = false; // transformers gradient_checkpointing
    private int logEvery = 10; // TRL SFTConfig logging_steps

    private Builder() {}

    /** Peak learning rate (default 2e-5; tiny random models want about 1e-3). */
    public Builder learningRate(double learningRate) {
      this.learningRate = learningRate;
      return this;
    }

    /** Passes over the data (default 3); ignored when {@link #maxSteps} is set. */
    public Builder epochs(int epochs) {
      this.epochs = epochs;
      return this;
    }

    /** Total optimizer steps (default -1: use epochs). */
    public Builder maxSteps(long maxSteps) {
      this.maxSteps = maxSteps;
      return this;
    }

    /** Rows per step (default 8). */
    public Builder batchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /** Tokens per row (default 1024). */
    public Builder maxLength(int maxLength) {
      this.maxLength = maxLength;
      return this;
    }

    /** Schedule after warm-up (default linear decay). */
    public Builder scheduler(LrScheduleType scheduler) {
      this.scheduler = scheduler;
      return this;
    }

    /** Warm-up fraction (default 0). */
    public Builder warmupRatio(double warmupRatio) {
      this.warmupRatio = warmupRatio;
      return this;
    }

    /** Decoupled weight decay (default 0). */
    public Builder weightDecay(double weightDecay) {
      this.weightDecay = weightDecay;
      return this;
    }

    /** Global gradient-norm clip (default 1.0; 0 disables). */
    public Builder maxGradNorm(double maxGradNorm) {
      this.maxGradNorm = maxGradNorm;
      return this;
    }

    /** Shuffling seed (default 42). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Mask prompt tokens out of the loss (default true). */
    public Builder completionOnlyLoss(boolean completionOnlyLoss) {
      this.completionOnlyLoss = completionOnlyLoss;
      return this;
    }

    /** Pack examples into full rows (default false). */
    public Builder packing(boolean packing) {
      this.packing = packing;
      return this;
    }

    /** Listener period in steps (default 10). */
    public Builder logEvery(int logEvery) {
      this.logEvery = logEvery;
      return this;
    }

    /** Recompute blocks in the backward (default false). */
    public Builder gradientCheckpointing(boolean gradientCheckpointing) {
      this.gradientCheckpointing = gradientCheckpointing;
      return this;
    }

    /** Builds and validates the config. */
    public SftConfig build() {
      return new SftConfig(
          learningRate,
          epochs,
          maxSteps,
          batchSize,
          maxLength,
          scheduler,
          warmupRatio,
          weightDecay,
          maxGradNorm,
          seed,
          completionOnlyLoss,
          packing,
          logEvery,
          gradientCheckpointing);
    }
  }
}
