package rlhf4j.ppo;

/** A constant KL coefficient; {@link #update} does nothing (TRL {@code FixedKLController}). */
public final class FixedKlController implements KlController {

  private double value;

  /** A controller that always returns {@code klCoef}. */
  public FixedKlController(double klCoef) {
    this.value = checkCoef("klCoef", klCoef);
  }

  @Override
  public double value() {
    return value;
  }

  @Override
  public void update(double currentKl, long nSteps) {}

  @Override
  public void importState(double state) {
    value = checkCoef("KL controller state", state);
  }

  @Override
  public String toString() {
    return "FixedKlController[value=" + value + "]";
  }

  private static double checkCoef(String field, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(
          field + " must be finite and >= 0, got " + value + "; TRL starts from 0.2");
    }
    return value;
  }
}
