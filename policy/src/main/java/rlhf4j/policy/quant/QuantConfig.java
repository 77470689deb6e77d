package rlhf4j.policy.quant;

import java.util.Objects;

/**
 * How to store a model's frozen base weights.
 *
 * @param baseDtype storage type of the block projections (attention and MLP linears)
 * @param blockSize int8 only: 0 for one absmax scale per output channel (row), or the number of
 *     consecutive input features that share a scale (block-wise, as bitsandbytes' blocksize); must
 *     divide every quantised layer's input width
 * @param quantizeEmbeddings also store the token embedding and the LM head in {@code baseDtype}
 *     (frozen under LoRA; one scale per vocabulary row). Off by default: PEFT's {@code
 *     prepare_model_for_kbit_training} keeps embeddings and the head in float32, and bitsandbytes
 *     skips {@code lm_head}
 */
public record QuantConfig(BaseDtype baseDtype, int blockSize, boolean quantizeEmbeddings) {
  /** Default {@link #blockSize}: one scale per output channel. */
  public static final int PER_CHANNEL = 0;

  /** Float32 storage: nothing is quantised. */
  public static final QuantConfig FP32 = new QuantConfig(BaseDtype.FP32, PER_CHANNEL, false);

  public QuantConfig {
    Objects.requireNonNull(baseDtype, "baseDtype");
    if (blockSize < 0) {
      throw new IllegalArgumentException(
          "blockSize must be >= 0 (0 = one scale per output channel), got " + blockSize);
    }
    if (blockSize > 0 && baseDtype != BaseDtype.INT8) {
      throw new IllegalArgumentException(
          "blockSize applies to int8 only; got blockSize " + blockSize + " with " + baseDtype);
    }
    if (quantizeEmbeddings && baseDtype == BaseDtype.FP32) {
      throw new IllegalArgumentException(
          "quantizeEmbeddings needs baseDtype fp16 or int8, got fp32");
    }
  }

  /** Block projections in {@code dtype}, one scale per output channel, embeddings float32. */
  public static QuantConfig of(BaseDtype dtype) {
    return new QuantConfig(dtype, PER_CHANNEL, false);
  }

  /** Whether anything is stored below float32. */
  public boolean quantizes() {
    return baseDtype != BaseDtype.FP32;
  }

  /** A builder starting from {@link #FP32}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder with the record's defaults: fp32, per-channel scales, float32 embeddings. */
  public static final class Builder {
    private BaseDtype baseDtype = BaseDtype.FP32;
    private int blockSize = PER_CHANNEL;
    private boolean quantizeEmbeddings;

    private Builder() {}

    /** Storage type of the block projections. */
    public Builder baseDtype(BaseDtype v) {
      baseDtype = v;
      return this;
    }

    /** int8 scale block width along the input features; 0 = per output channel. */
    public Builder blockSize(int v) {
      blockSize = v;
      return this;
    }

    /** Also store the token embedding and the LM head below float32. */
    public Builder quantizeEmbeddings(boolean v) {
      quantizeEmbeddings = v;
      return this;
    }

    public QuantConfig build() {
      return new QuantConfig(baseDtype, blockSize, quantizeEmbeddings);
    }
  }
}
