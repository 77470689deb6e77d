package rlhf4j.ppo;

/**
 * Adaptive KL coefficient of Ziegler et al. 2019 as TRL {@code AdaptiveKLController}: {@code e =
 * clip(currentKl / target - 1, -0.2, 0.2)}, {@code beta <- beta * (1 + e * nSteps / horizon)}.
 */
public final class AdaptiveKlController implements KlController {

  /** Bound on the proportional error, as in TRL. */
  public static final double ERROR_CLIP = 0.2;

  private final double target;
  private final double horizon;
  private double value;

  /**
   * @param initKlCoef starting beta (TRL 0.2)
   * @param target target per-sequence KL in nats (TRL 6)
   * @param horizon number of rollouts over which beta may change by the clipped error (TRL 10000)
   */
  public AdaptiveKlController(double initKlCoef, double target, double horizon) {
    this.value = checkCoef("initKlCoef", initKlCoef);
    if (!(target > 0) || Double.isInfinite(target)) {
      throw new IllegalArgumentException(
          "klTarget must be finite and > 0, got " + target + "; TRL uses 6");
    }
    if (!(horizon > 0) || Double.isInfinite(horizon)) {
      throw new IllegalArgumentException(
          "klHorizon must be finite and > 0, got " + horizon + "; TRL uses 10000");
    }
    this.target = target;
    this.horizon = horizon;
  }

  @Override
  public double value() {
    return value;
  }

  @Override
  public void update(double currentKl, long nSteps) {
    if (Double.isNaN(currentKl)) {
      throw new IllegalArgumentException(
          "currentKl is NaN; the policy has diverged (check the loss and the log-probs)");
    }
    if (nSteps < 0) {
      throw new IllegalArgumentException("nSteps must be >= 0, got " + nSteps);
    }
    double error = Math.max(-ERROR_CLIP, Math.min(ERROR_CLIP, currentKl / target - 1));
    value *= 1 + error * nSteps / horizon;
  }

  @Override
  public void importState(double state) {
    value = checkCoef("KL controller state", state);
  }

  /** The target KL. */
  public double target() {
    return target;
  }

  /** The horizon. */
  public double horizon() {
    return horizon;
  }

  @Override
  public String toString() {
    return "AdaptiveKlController[value="
        + value
        + ", target="
        + target
        + ", horizon="
        + horizon
        + "]";
  }

  private static double checkCoef(String field, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(
          field + " must be finite and >= 0, got " + value + "; TRL starts from 0.2");
    }
    return value;
  }
}
