package rlhf4j.ppo;

import java.util.OptionalDouble;

/**
 * How the critic-free and preference trainers (GRPO, RLOO, REINFORCE++, DPO) batch a step, beside
 * their algorithm's config: what the HF {@code TrainingArguments} hold in TRL. Build with {@link
 * #builder()}, which starts from these defaults.
 *
 * @param batchSize prompts per step (each answered by the algorithm's group of completions), or
 *     preference pairs per step for DPO; 8 (TRL {@code per_device_train_batch_size})
 * @param miniBatchSize rows per forward and backward (gradients of all mini-batches of a step add
 *     up into one optimizer step, TRL's default {@code steps_per_generation =
 *     gradient_accumulation_steps}); 8. It must divide the step's rows
 * @param maxGradNorm global gradient-norm clip, 1.0 (HF {@code max_grad_norm}); empty for none
 * @param seed the run seed every random stream derives from with the step, 42 (HF {@code seed})
 */
public record RunConfig(int batchSize, int miniBatchSize, OptionalDouble maxGradNorm, long seed) {

  /** Validates every field; the message names the field, the rule and the value. */
  public RunConfig {
    ConfigChecks.atLeast("batchSize", batchSize, 1);
    ConfigChecks.atLeast("miniBatchSize", miniBatchSize, 1);
    if (maxGradNorm == null) {
      maxGradNorm = OptionalDouble.empty();
    }
    if (maxGradNorm.isPresent()
        && !(maxGradNorm.getAsDouble() > 0 && Double.isFinite(maxGradNorm.getAsDouble()))) {
      throw new IllegalArgumentException(
          "maxGradNorm must be finite and > 0 (or absent), got " + maxGradNorm.getAsDouble());
    }
  }

  /** A builder starting from the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Checks that the mini-batch size divides a step's {@code rows}.
   *
   * @throws IllegalArgumentException naming both numbers
   */
  public void checkDivides(int rows, String what) {
    if (rows % miniBatchSize != 0) {
      throw new IllegalArgumentException(
          "miniBatchSize must divide the "
              + rows
              + " "
              + what
              + " of a step, got "
              + miniBatchSize
              + "; pick a divisor");
    }
  }

  /** Builder; every setter is optional. */
  public static final class Builder {
    private int batchSize = 8; // TRL per_device_train_batch_size
    private int miniBatchSize = 8;
    private OptionalDouble maxGradNorm = OptionalDouble.of(1.0); // HF max_grad_norm
    private long seed = 42; // HF seed

    private Builder() {}

    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    public Builder miniBatchSize(int v) {
      miniBatchSize = v;
      return this;
    }

    /** The gradient-norm clip; null removes it. */
    public Builder maxGradNorm(Double v) {
      maxGradNorm = v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** Validates and builds. */
    public RunConfig build() {
      return new RunConfig(batchSize, miniBatchSize, maxGradNorm, seed);
    }
  }
}
