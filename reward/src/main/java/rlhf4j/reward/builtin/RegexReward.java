package rlhf4j.reward.builtin;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunctionProvider;
import rlhf4j.reward.RewardOptions;

/**
 * Format reward: {@code matchScore} when the response matches a regular expression, else {@code
 * missScore}. {@link Mode#FIND} looks for the pattern anywhere; {@link Mode#FULL} requires the
 * whole response to match.
 */
public final class RegexReward implements RewardFunction {
  /** Where the pattern must match. */
  public enum Mode {
    /** Anywhere in the response ({@link java.util.regex.Matcher#find()}). */
    FIND,
    /** The whole response ({@link java.util.regex.Matcher#matches()}). */
    FULL
  }

  private final Pattern pattern;
  private final Mode mode;
  private final float matchScore;
  private final float missScore;

  /** A regex reward; scores must be finite. */
  public RegexReward(Pattern pattern, Mode mode, float matchScore, float missScore) {
    this.pattern = Objects.requireNonNull(pattern, "pattern");
    this.mode = Objects.requireNonNull(mode, "mode");
    if (!Float.isFinite(matchScore) || !Float.isFinite(missScore)) {
      throw new IllegalArgumentException(
          "matchScore and missScore must be finite, got " + matchScore + " and " + missScore);
    }
    this.matchScore = matchScore;
    this.missScore = missScore;
  }

  /** 1 when {@code regex} is found in the response, else 0. */
  public static RegexReward of(String regex) {
    return new RegexReward(Pattern.compile(regex), Mode.FIND, 1f, 0f);
  }

  @Override
  public float[] score(List<Sample> batch) {
    float[] scores = new float[batch.size()]; // (B)
    for (int i = 0; i < scores.length; i++) {
      var m = pattern.matcher(batch.get(i).response());
      boolean hit = mode == Mode.FULL ? m.matches() : m.find();
      scores[i] = hit ? matchScore : missScore;
    }
    return scores;
  }

  @Override
  public String name() {
    return "regex";
  }

  /** Registers {@code regex}; options in the package doc. */
  public static final class Provider implements RewardFunctionProvider {
    @Override
    public String name() {
      return "regex";
    }

    @Override
    public RewardFunction create(Map<String, String> options) {
      RewardOptions o =
          RewardOptions.of(
              "regex", options, "pattern", "mode", "match", "miss", "ignoreCase", "dotall");
      String regex = o.requireString("pattern");
      int flags =
          (o.getBoolean("ignoreCase", false) ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0)
              | (o.getBoolean("dotall", false) ? Pattern.DOTALL : 0);
      Pattern p;
      try {
        p = Pattern.compile(regex, flags);
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException(
            "option 'pattern' of reward 'regex' is not a valid regular expression: "
                + e.getMessage(),
            e);
      }
      return new RegexReward(
          p,
          o.getEnum("mode", Mode.class, Mode.FIND),
          (float) o.getDouble("match", 1.0),
          (float) o.getDouble("miss", 0.0));
    }
  }
}
