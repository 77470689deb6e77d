package rlhf4j.reward.norm;

import java.util.Objects;

/**
 * TRL's score post-processing before PPO: first update the running moments with the batch (in
 * {@link ScoreTransformConfig.Mode#SCALE} or {@link ScoreTransformConfig.Mode#NORM}), then scale
 * {@code scores / (std + eps)} or normalise {@code (scores - mean) / (std + eps)} with the updated
 * moments, then clip to {@code [-scoreClip, scoreClip]}.
 *
 * <p>The running state lives in {@link #moments()}; checkpoint it with {@link
 * RunningMoments#state()} and restore with {@link #ScoreTransform(ScoreTransformConfig,
 * RunningMoments)}.
 */
public final class ScoreTransform {
  private final ScoreTransformConfig config;
  private final RunningMoments moments;

  /** A transform with fresh moments. */
  public ScoreTransform(ScoreTransformConfig config) {
    this(config, new RunningMoments());
  }

  /** A transform continuing from {@code moments} (e.g. restored from a checkpoint). */
  public ScoreTransform(ScoreTransformConfig config, RunningMoments moments) {
    this.config = Objects.requireNonNull(config, "config");
    this.moments = Objects.requireNonNull(moments, "moments");
  }

  /** The config. */
  public ScoreTransformConfig config() {
    return config;
  }

  /** The running moments (live object). */
  public RunningMoments moments() {
    return moments;
  }

  /**
   * Updates the moments with {@code scores} (unless the mode is NONE) and returns new transformed
   * scores; {@code scores} is not modified.
   *
   * @param scores {@code (B)} raw scores, finite
   * @return {@code (B)} transformed scores
   * @throws IllegalArgumentException on a non-finite score, naming its index
   */
  public float[] apply(float[] scores) {
    for (int i = 0; i < scores.length; i++) {
      if (!Float.isFinite(scores[i])) {
        throw new IllegalArgumentException(
            "score at index "
                + i
                + " is "
                + scores[i]
                + "; guard the reward (GuardedReward) so only finite scores reach ScoreTransform");
      }
    }
    double mean = 0;
    double std = 1;
    if (config.mode() != ScoreTransformConfig.Mode.NONE && scores.length > 0) {
      synchronized (moments) {
        moments.update(scores);
        mean = moments.mean();
        std = moments.std();
      }
    }
    return transform(scores, config, mean, std);
  }

  /**
   * The pure formula, without touching any state.
   *
   * @param scores {@code (B)} raw scores
   * @param config mode, clip and eps
   * @param mean running mean (used by NORM)
   * @param std running std (used by SCALE and NORM)
   * @return {@code (B)} new array
   */
  public static float[] transform(
      float[] scores, ScoreTransformConfig config, double mean, double std) {
    float[] out = new float[scores.length]; // (B)
    double denom = std + config.eps();
    for (int i = 0; i < scores.length; i++) {
      double s = scores[i];
      switch (config.mode()) {
        case NONE -> {}
        case SCALE -> s = s / denom;
        case NORM -> s = (s - mean) / denom;
      }
      if (config.clips()) {
        s = Math.max(-config.scoreClip(), Math.min(config.scoreClip(), s));
      }
      out[i] = (float) s;
    }
    return out;
  }
}
