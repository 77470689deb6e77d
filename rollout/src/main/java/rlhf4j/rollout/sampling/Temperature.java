package rlhf4j.rollout.sampling;

/** Divides the logits by the temperature T (HF {@code TemperatureLogitsWarper}). */
public final class Temperature implements LogitsProcessor {
  private final double temperature;

  /**
   * @param temperature T, finite and &gt; 0
   */
  public Temperature(double temperature) {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException(
          "temperature must be finite and > 0, got " + temperature + " (use greedy for T = 0)");
    }
    this.temperature = temperature;
  }

  /** Returns T. */
  public double temperature() {
    return temperature;
  }

  @Override
  public void process(double[] logits, long[] previousTokens) {
    for (int i = 0; i < logits.length; i++) {
      logits[i] /= temperature;
    }
  }
}
