package rlhf4j.policy.optim;

/**
 * A constant learning rate after an optional linear warm-up from 0 (transformers {@code
 * get_constant_schedule_with_warmup}).
 *
 * @param lr the learning rate after warm-up
 * @param warmupSteps steps of linear warm-up, 0 for none
 */
public record ConstantSchedule(double lr, long warmupSteps) implements LrSchedule {

  /** Validates the fields. */
  public ConstantSchedule {
    if (!(lr >= 0) || Double.isInfinite(lr)) {
      throw new IllegalArgumentException("lr must be finite and >= 0, got " + lr);
    }
    if (warmupSteps < 0) {
      throw new IllegalArgumentException("warmupSteps must be >= 0, got " + warmupSteps);
    }
  }

  @Override
  public double lr(long step) {
    LrSchedule.checkStep(step);
    return step < warmupSteps ? lr * LrSchedule.warmupFactor(step, warmupSteps) : lr;
  }
}
