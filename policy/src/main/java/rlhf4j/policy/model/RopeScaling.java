package rlhf4j.policy.model;

import java.util.Objects;

/**
 * HF's {@code rope_scaling}: {@link Type#LINEAR} divides positions by {@code factor}; {@link
 * Type#LLAMA3} rescales low frequencies (Llama 3.1).
 *
 * @param type the scaling rule
 * @param factor how much longer the context becomes
 * @param lowFreqFactor llama3: wavelengths above original/lowFreqFactor are divided by factor
 * @param highFreqFactor llama3: wavelengths below original/highFreqFactor are kept
 * @param originalMaxPositions llama3: the context length the model was trained on
 */
public record RopeScaling(
    Type type,
    double factor,
    double lowFreqFactor,
    double highFreqFactor,
    int originalMaxPositions) {
  /** The supported {@code rope_type} values, by their HF names. */
  public enum Type {
    LINEAR("linear"),
    LLAMA3("llama3");

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
          "rope_scaling type '" + name + "' is not supported (supported: linear, llama3)");
    }
  }

  public RopeScaling {
    Objects.requireNonNull(type, "rope_scaling type must be set");
    if (!(factor > 0)) {
      throw new IllegalArgumentException("rope_scaling factor must be > 0, got " + factor);
    }
  }
}
