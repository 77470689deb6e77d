package rlhf4j.policy.model;

/**
 * HF's {@code rope_scaling}: {@code linear} divides positions by {@code factor}; {@code llama3}
 * rescales low frequencies (Llama 3.1).
 */
public record RopeScaling(
    String type,
    double factor,
    double lowFreqFactor,
    double highFreqFactor,
    int originalMaxPositions) {
  public RopeScaling {
    if (!type.equals("linear") && !type.equals("llama3")) {
      throw new IllegalArgumentException(
          "rope_scaling type '" + type + "' is not supported (supported: linear, llama3)");
    }
    if (!(factor > 0)) {
      throw new IllegalArgumentException("rope_scaling factor must be > 0, got " + factor);
    }
  }
}
