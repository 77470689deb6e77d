package rlhf4j.examples.customreward;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunctionProvider;
import rlhf4j.reward.RewardOptions;

/**
 * A custom reward plug-in: {@code score = inWindow - repeatPenalty * repeated / length}, where
 * {@code inWindow} is 1 when the response has between {@code minTokens} and {@code maxTokens} units
 * (inclusive) and 0 otherwise, and {@code repeated} counts units equal to an earlier unit of the
 * same response. Units are the response token ids, or, for samples without ids, the
 * whitespace-separated words of the response text. An empty response scores 0.
 *
 * <p>Loadable by class name ({@code rlhf4j.examples.customreward.LengthWindowReward}, through the
 * public no-arg or {@code Map} constructor) and by the short name {@value #NAME} (through {@link
 * Provider}, listed in {@code META-INF/services/rlhf4j.reward.RewardFunctionProvider}). Options:
 * {@code minTokens} (default 4), {@code maxTokens} (12), {@code repeatPenalty} (0.5).
 */
public final class LengthWindowReward implements RewardFunction {
  /** The short name registered by {@link Provider}. */
  public static final String NAME = "length-window";

  private final int minTokens;
  private final int maxTokens;
  private final float repeatPenalty;

  /** The defaults: window [4, 12], repeat penalty 0.5. */
  public LengthWindowReward() {
    this(4, 12, 0.5f);
  }

  /** From string options {@code minTokens}, {@code maxTokens}, {@code repeatPenalty}. */
  public LengthWindowReward(Map<String, String> options) {
    this(parse(options));
  }

  private LengthWindowReward(RewardOptions o) {
    this(
        o.getInt("minTokens", 4),
        o.getInt("maxTokens", 12),
        (float) o.getDouble("repeatPenalty", 0.5));
  }

  /**
   * @param minTokens shortest length in the window, &ge; 1
   * @param maxTokens longest length in the window, &ge; minTokens
   * @param repeatPenalty weight of the repeated fraction, finite and &ge; 0
   */
  public LengthWindowReward(int minTokens, int maxTokens, float repeatPenalty) {
    if (minTokens < 1 || maxTokens < minTokens) {
      throw new IllegalArgumentException(
          "need 1 <= minTokens <= maxTokens, got minTokens "
              + minTokens
              + " and maxTokens "
              + maxTokens);
    }
    if (!Float.isFinite(repeatPenalty) || repeatPenalty < 0) {
      throw new IllegalArgumentException(
          "repeatPenalty must be finite and >= 0, got " + repeatPenalty);
    }
    this.minTokens = minTokens;
    this.maxTokens = maxTokens;
    this.repeatPenalty = repeatPenalty;
  }

  private static RewardOptions parse(Map<String, String> options) {
    return RewardOptions.of(NAME, options, "minTokens", "maxTokens", "repeatPenalty");
  }

  @Override
  public float[] score(List<Sample> batch) {
    float[] scores = new float[batch.size()]; // (B)
    for (int i = 0; i < scores.length; i++) {
      List<?> units = units(batch.get(i));
      if (units.isEmpty()) {
        continue; // 0
      }
      Set<Object> seen = new HashSet<>();
      int repeated = 0;
      for (Object u : units) {
        repeated += seen.add(u) ? 0 : 1;
      }
      int n = units.size();
      float inWindow = n >= minTokens && n <= maxTokens ? 1f : 0f;
      scores[i] = inWindow - repeatPenalty * repeated / n;
    }
    return scores;
  }

  private static List<?> units(Sample s) {
    if (s.responseLength() > 0) {
      return java.util.Arrays.stream(s.responseIds()).boxed().toList();
    }
    String text = s.response().strip();
    return text.isEmpty() ? List.of() : List.of(text.split("\\s+"));
  }

  @Override
  public String name() {
    return NAME;
  }

  /** Registers {@value #NAME} for {@code RewardFunctions.load}. */
  public static final class Provider implements RewardFunctionProvider {
    @Override
    public String name() {
      return NAME;
    }

    @Override
    public RewardFunction create(Map<String, String> options) {
      return new LengthWindowReward(options);
    }
  }
}
