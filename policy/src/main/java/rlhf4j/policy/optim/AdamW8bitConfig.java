package rlhf4j.policy.optim;

import java.util.Objects;

/**
 * Hyper-parameters of {@link AdamW8bit}: the AdamW ones plus the quantisation block size.
 *
 * @param adamW betas, eps and weight decay (torch.optim.AdamW defaults)
 * @param blockSize elements per quantisation block, each with its own fp32 absmax scale; default
 *     2048 (bitsandbytes' block-wise default)
 */
public record AdamW8bitConfig(AdamWConfig adamW, int blockSize) {

  /** Validates the fields. */
  public AdamW8bitConfig {
    Objects.requireNonNull(adamW, "adamW");
    if (blockSize < 1) {
      throw new IllegalArgumentException("blockSize must be >= 1, got " + blockSize);
    }
  }

  /** torch.optim.AdamW defaults with block size 2048. */
  public static AdamW8bitConfig defaults() {
    return new AdamW8bitConfig(AdamWConfig.defaults(), 2048);
  }

  /** The same AdamW settings with another block size. */
  public AdamW8bitConfig withBlockSize(int blockSize) {
    return new AdamW8bitConfig(adamW, blockSize);
  }
}
