package rlhf4j.reward.norm;

import java.util.Objects;

/**
 * How {@link ScoreTransform} post-processes scores (TRL legacy {@code PPOConfig}).
 *
 * <p>TRL flags map to {@link Mode}: {@code use_score_scaling=False} is {@link Mode#NONE}; {@code
 * use_score_scaling=True} is {@link Mode#SCALE}, and with {@code use_score_norm=True} too it is
 * {@link Mode#NORM} ({@code use_score_norm} alone has no effect in TRL).
 *
 * @param mode scaling mode; default {@link Mode#NONE} (TRL {@code use_score_scaling=False})
 * @param scoreClip clip to {@code [-scoreClip, scoreClip]} after scaling, &gt; 0; default {@code
 *     +Infinity}, no clipping (TRL {@code score_clip=None})
 * @param eps added to the std; default {@code 1.1920929e-7} (TRL {@code torch.finfo(float32).eps}),
 *     finite and &ge; 0
 */
public record ScoreTransformConfig(Mode mode, double scoreClip, double eps) {
  /** Scaling mode. */
  public enum Mode {
    /** Scores pass unscaled; moments are not updated. */
    NONE,
    /** {@code scores / (std + eps)} with the running std (TRL {@code use_score_scaling}). */
    SCALE,
    /** {@code (scores - mean) / (std + eps)} (TRL {@code use_score_scaling + use_score_norm}). */
    NORM
  }

  /** float32 machine epsilon, 2^-23, TRL's {@code torch.finfo(scores.dtype).eps}. */
  public static final double FLOAT32_EPS = Math.ulp(1.0f);

  /** Validates. */
  public ScoreTransformConfig {
    Objects.requireNonNull(mode, "mode");
    if (Double.isNaN(scoreClip) || scoreClip <= 0) {
      throw new IllegalArgumentException(
          "scoreClip must be > 0 (Infinity for no clipping), got " + scoreClip);
    }
    if (!Double.isFinite(eps) || eps < 0) {
      throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
    }
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults: no scaling, no clipping. */
  public static ScoreTransformConfig defaults() {
    return builder().build();
  }

  /** Whether scores are clipped. */
  public boolean clips() {
    return scoreClip != Double.POSITIVE_INFINITY;
  }

  /** Builder; starts from the documented defaults. */
  public static final class Builder {
    private Mode mode = Mode.NONE;
    private double scoreClip = Double.POSITIVE_INFINITY;
    private double eps = FLOAT32_EPS;

    private Builder() {}

    /** Scaling mode. */
    public Builder mode(Mode mode) {
      this.mode = mode;
      return this;
    }

    /** Clip bound, &gt; 0. */
    public Builder scoreClip(double scoreClip) {
      this.scoreClip = scoreClip;
      return this;
    }

    /** Epsilon added to the std. */
    public Builder eps(double eps) {
      this.eps = eps;
      return this;
    }

    /** The validated config. */
    public ScoreTransformConfig build() {
      return new ScoreTransformConfig(mode, scoreClip, eps);
    }
  }
}
