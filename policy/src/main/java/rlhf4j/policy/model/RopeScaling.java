package rlhf4j.policy.model;

import java.util.List;
import java.util.Objects;

/**
 * HF's {@code rope_scaling}: {@link Type#LINEAR} divides positions by {@code factor}; {@link
 * Type#LLAMA3} rescales low frequencies (Llama 3.1); {@link Type#LONGROPE} divides each frequency
 * by its own factor, the short ones up to {@code originalMaxPositions} positions and the long ones
 * beyond, and multiplies cos/sin by an attention factor (Phi-3 128k, Phi-3.5; {@link Rope}).
 *
 * @param type the scaling rule
 * @param factor how much longer the context becomes; longrope: 0 when the config has none (then
 *     maxPositions / originalMaxPositions, as transformers derives it)
 * @param lowFreqFactor llama3: wavelengths above original/lowFreqFactor are divided by factor
 * @param highFreqFactor llama3: wavelengths below original/highFreqFactor are kept
 * @param originalMaxPositions llama3 and longrope: the context length the model was trained on
 * @param shortFactor longrope: per-frequency divisors up to originalMaxPositions (R/2 of them);
 *     empty for the other types
 * @param longFactor longrope: per-frequency divisors beyond originalMaxPositions (R/2 of them)
 * @param attentionFactor longrope: the cos/sin multiplier the config states, 0 to derive it
 */
public record RopeScaling(
    Type type,
    double factor,
    double lowFreqFactor,
    double highFreqFactor,
    int originalMaxPositions,
    List<Double> shortFactor,
    List<Double> longFactor,
    double attentionFactor) {
  /** The supported {@code rope_type} values, by their HF names. */
  public enum Type {
    LINEAR("linear"),
    LLAMA3("llama3"),
    LONGROPE("longrope");

    private final String hfName;

    Type(String hfName) {
      this.hfName = hfName;
    }

    /** The name HF configs use. */
    public String hfName() {
      return hfName;
    }

    /** The type HF calls {@code name}; rejects others, naming those supported. */
    public static Type fromHfName(String name) {
      for (Type t : values()) {
        if (t.hfName.equals(name)) {
          return t;
        }
      }
      throw new IllegalArgumentException(
          "rope_scaling type '"
              + name
              + "' is not supported (supported: linear, llama3, longrope)");
    }
  }

  public RopeScaling {
    Objects.requireNonNull(type, "rope_scaling type must be set");
    shortFactor = List.copyOf(Objects.requireNonNull(shortFactor, "shortFactor"));
    longFactor = List.copyOf(Objects.requireNonNull(longFactor, "longFactor"));
    if (type == Type.LONGROPE) {
      if (!(factor >= 0 && factor < Double.POSITIVE_INFINITY)) {
        throw new IllegalArgumentException(
            "rope_scaling factor must be > 0 (or absent) for longrope, got " + factor);
      }
      if (!(attentionFactor >= 0 && attentionFactor < Double.POSITIVE_INFINITY)) {
        throw new IllegalArgumentException(
            "rope_scaling attention_factor must be > 0 (or absent), got " + attentionFactor);
      }
      if (originalMaxPositions <= 0) {
        throw new IllegalArgumentException(
            "original_max_position_embeddings must be > 0 for longrope, got "
                + originalMaxPositions);
      }
      requirePositive("short_factor", shortFactor);
      requirePositive("long_factor", longFactor);
    } else if (!(factor > 0)) {
      throw new IllegalArgumentException("rope_scaling factor must be > 0, got " + factor);
    }
  }

  /** linear or llama3 scaling (no per-frequency factors). */
  public RopeScaling(
      Type type,
      double factor,
      double lowFreqFactor,
      double highFreqFactor,
      int originalMaxPositions) {
    this(
        type, factor, lowFreqFactor, highFreqFactor, originalMaxPositions, List.of(), List.of(), 0);
  }

  /**
   * LongRoPE ({@code _compute_longrope_parameters} in transformers' modeling_rope_utils.py).
   *
   * @param factor the config's {@code factor}, or 0 when it has none
   * @param attentionFactor the config's {@code attention_factor}, or 0 when it has none
   */
  public static RopeScaling longRope(
      List<Double> shortFactor,
      List<Double> longFactor,
      int originalMaxPositions,
      double factor,
      double attentionFactor) {
    return new RopeScaling(
        Type.LONGROPE,
        factor,
        1,
        4,
        originalMaxPositions,
        shortFactor,
        longFactor,
        attentionFactor);
  }

  /**
   * longrope's cos/sin multiplier for a model of {@code maxPositions} positions: the config's
   * {@code attention_factor}, else sqrt(1 + ln(factor) / ln(originalMaxPositions)) with factor the
   * config's or maxPositions / originalMaxPositions, 1 when factor ≤ 1 (transformers'
   * modeling_rope_utils.py {@code _compute_longrope_parameters}).
   */
  public double longRopeAttentionFactor(int maxPositions) {
    if (attentionFactor > 0) {
      return attentionFactor;
    }
    double f = factor > 0 ? factor : (double) maxPositions / originalMaxPositions;
    return f <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(f) / Math.log(originalMaxPositions));
  }

  /** Checks that each longrope factor list has one entry per rotary frequency. */
  void requireFactorsFor(int rotaryDims) {
    for (String field : List.of("short_factor", "long_factor")) {
      List<Double> f = field.equals("short_factor") ? shortFactor : longFactor;
      if (f.size() != rotaryDims / 2) {
        throw new IllegalArgumentException(
            "rope_scaling."
                + field
                + " must have one entry per rotary frequency, head_dim x partial_rotary_factor / 2"
                + " = "
                + rotaryDims / 2
                + ", got "
                + f.size());
      }
    }
  }

  private static void requirePositive(String field, List<Double> f) {
    if (f.isEmpty()) {
      throw new IllegalArgumentException(
          "rope_scaling." + field + " must be a non-empty list of numbers for longrope");
    }
    for (int i = 0; i < f.size(); i++) {
      Double v = f.get(i);
      if (v == null || !(v > 0 && v < Double.POSITIVE_INFINITY)) {
        throw new IllegalArgumentException(
            "rope_scaling." + field + "[" + i + "] must be a finite number > 0, got " + v);
      }
    }
  }
}
