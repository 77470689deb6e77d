package rlhf4j.reward.builtin;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunctionProvider;
import rlhf4j.reward.RewardOptions;

/**
 * Length target: {@code score = -scale * |length - target|}, so a response of exactly {@code
 * target} scores 0 and every unit away costs {@code scale}. Length counts Unicode code points of
 * the response text ({@link Unit#CHARS}) or response token ids ({@link Unit#TOKENS}).
 */
public final class LengthReward implements RewardFunction {
  /** What a unit of length is. */
  public enum Unit {
    /** Unicode code points of the response text. */
    CHARS,
    /** Response token ids; samples must carry them. */
    TOKENS
  }

  private final int target;
  private final Unit unit;
  private final float scale;

  /**
   * A length reward.
   *
   * @param target the wanted length, &ge; 0
   * @param unit chars or tokens
   * @param scale cost per unit of distance, finite and &ge; 0
   */
  public LengthReward(int target, Unit unit, float scale) {
    if (target < 0) {
      throw new IllegalArgumentException("target must be >= 0, got " + target);
    }
    if (!Float.isFinite(scale) || scale < 0) {
      throw new IllegalArgumentException("scale must be finite and >= 0, got " + scale);
    }
    this.target = target;
    this.unit = Objects.requireNonNull(unit, "unit");
    this.scale = scale;
  }

  @Override
  public float[] score(List<Sample> batch) {
    float[] scores = new float[batch.size()]; // (B)
    for (int i = 0; i < scores.length; i++) {
      Sample s = batch.get(i);
      int length;
      if (unit == Unit.TOKENS) {
        if (s.responseLength() == 0 && !s.response().isEmpty()) {
          throw new IllegalArgumentException(
              "sample "
                  + i
                  + " has response text but no response ids; unit=tokens needs token ids,"
                  + " or use unit=chars");
        }
        length = s.responseLength();
      } else {
        length = s.response().codePointCount(0, s.response().length());
      }
      scores[i] = 0f - scale * Math.abs(length - target); // 0f - x: no -0.0 at the target
    }
    return scores;
  }

  @Override
  public String name() {
    return "length";
  }

  /** Registers {@code length}; options in the package doc. */
  public static final class Provider implements RewardFunctionProvider {
    @Override
    public String name() {
      return "length";
    }

    @Override
    public RewardFunction create(Map<String, String> options) {
      RewardOptions o = RewardOptions.of("length", options, "target", "unit", "scale");
      return new LengthReward(
          o.requireInt("target"),
          o.getEnum("unit", Unit.class, Unit.CHARS),
          (float) o.getDouble("scale", 1.0));
    }
  }
}
