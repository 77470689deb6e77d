package rlhf4j.policy.optim;

/**
 * Warm-up length, as a step count or as a ratio of the total steps. A ratio becomes {@code
 * ceil(ratio·totalSteps)} steps, as in transformers {@code TrainingArguments.get_warmup_steps}.
 *
 * @param fixedSteps warm-up steps when {@code ratio} is NaN, else ignored (0)
 * @param ratio fraction of total steps in [0, 1], or NaN when {@code fixedSteps} is used
 */
public record Warmup(long fixedSteps, double ratio) {

  /** Validates that exactly one of the two forms is used and is in range. */
  public Warmup {
    if (Double.isNaN(ratio)) {
      if (fixedSteps < 0) {
        throw new IllegalArgumentException("warm-up steps must be >= 0, got " + fixedSteps);
      }
    } else {
      if (!(ratio >= 0 && ratio <= 1)) {
        throw new IllegalArgumentException("warm-up ratio must be in [0, 1], got " + ratio);
      }
      if (fixedSteps != 0) {
        throw new IllegalArgumentException(
            "give warm-up as steps or as a ratio, not both: " + fixedSteps + " and " + ratio);
      }
    }
  }

  /** No warm-up. */
  public static Warmup none() {
    return new Warmup(0, Double.NaN);
  }

  /** Warm-up over a fixed number of steps. */
  public static Warmup ofSteps(long steps) {
    return new Warmup(steps, Double.NaN);
  }

  /** Warm-up over {@code ceil(ratio·totalSteps)} steps. */
  public static Warmup ofRatio(double ratio) {
    return new Warmup(0, ratio);
  }

  /** Warm-up steps for a run of {@code totalSteps}; never more than {@code totalSteps}. */
  public long steps(long totalSteps) {
    if (totalSteps <= 0) {
      throw new IllegalArgumentException("totalSteps must be > 0, got " + totalSteps);
    }
    long steps = Double.isNaN(ratio) ? fixedSteps : (long) Math.ceil(ratio * totalSteps);
    if (steps > totalSteps) {
      throw new IllegalArgumentException(
          "warm-up of " + steps + " steps is longer than totalSteps " + totalSteps);
    }
    return steps;
  }
}
