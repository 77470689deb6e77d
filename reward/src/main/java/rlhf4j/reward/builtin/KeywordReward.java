package rlhf4j.reward.builtin;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunctionProvider;
import rlhf4j.reward.RewardOptions;

/**
 * Keyword presence in the response text (substring match): the fraction of keywords present ({@link
 * Mode#FRACTION}), or 1/0 for any ({@link Mode#ANY}) or all ({@link Mode#ALL}) present.
 */
public final class KeywordReward implements RewardFunction {
  /** How presence becomes a score. */
  public enum Mode {
    /** present / total, in [0, 1]. */
    FRACTION,
    /** 1 if at least one keyword is present, else 0. */
    ANY,
    /** 1 if every keyword is present, else 0. */
    ALL
  }

  private final List<String> keywords;
  private final Mode mode;
  private final boolean ignoreCase;

  /**
   * A keyword reward.
   *
   * @param keywords non-empty list of non-empty keywords
   * @param mode how presence becomes a score
   * @param ignoreCase compare lower-cased (ROOT locale) texts
   */
  public KeywordReward(List<String> keywords, Mode mode, boolean ignoreCase) {
    Objects.requireNonNull(keywords, "keywords");
    if (keywords.isEmpty()) {
      throw new IllegalArgumentException("keywords must not be empty");
    }
    List<String> ks = new ArrayList<>();
    for (int i = 0; i < keywords.size(); i++) {
      String k = keywords.get(i);
      if (k == null || k.isEmpty()) {
        throw new IllegalArgumentException(
            "keywords[" + i + "] must be non-empty, got '" + k + "'");
      }
      ks.add(ignoreCase ? k.toLowerCase(Locale.ROOT) : k);
    }
    this.keywords = List.copyOf(ks);
    this.mode = Objects.requireNonNull(mode, "mode");
    this.ignoreCase = ignoreCase;
  }

  @Override
  public float[] score(List<Sample> batch) {
    float[] scores = new float[batch.size()]; // (B)
    for (int i = 0; i < scores.length; i++) {
      String text = batch.get(i).response();
      if (ignoreCase) {
        text = text.toLowerCase(Locale.ROOT);
      }
      int present = 0;
      for (String k : keywords) {
        if (text.contains(k)) {
          present++;
        }
      }
      scores[i] =
          switch (mode) {
            case FRACTION -> (float) present / keywords.size();
            case ANY -> present > 0 ? 1f : 0f;
            case ALL -> present == keywords.size() ? 1f : 0f;
          };
    }
    return scores;
  }

  @Override
  public String name() {
    return "keyword";
  }

  /** Registers {@code keyword}; options in the package doc. */
  public static final class Provider implements RewardFunctionProvider {
    @Override
    public String name() {
      return "keyword";
    }

    @Override
    public RewardFunction create(Map<String, String> options) {
      RewardOptions o = RewardOptions.of("keyword", options, "keywords", "mode", "ignoreCase");
      List<String> ks = new ArrayList<>();
      for (String k : o.requireString("keywords").split(",")) {
        if (!k.trim().isEmpty()) {
          ks.add(k.trim());
        }
      }
      if (ks.isEmpty()) {
        throw new IllegalArgumentException(
            "option 'keywords' of reward 'keyword' lists no keyword; give e.g. keywords=yes,sure");
      }
      return new KeywordReward(
          ks, o.getEnum("mode", Mode.class, Mode.FRACTION), o.getBoolean("ignoreCase", true));
    }
  }
}
