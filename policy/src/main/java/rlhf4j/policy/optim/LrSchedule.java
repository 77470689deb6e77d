package rlhf4j.policy.optim;

/**
 * The learning rate as a function of the number of optimizer steps already taken: step {@code k}
 * (0-based) of an {@link Optimizer} uses {@code lr(k)}, as a transformers {@code LambdaLR} does
 * (with warm-up the very first update therefore uses lr 0).
 */
@FunctionalInterface
public interface LrSchedule {

  /**
   * The learning rate for the update after {@code step} completed steps.
   *
   * @param step completed optimizer steps, &gt;= 0
   */
  double lr(long step);

  /** A fixed learning rate without warm-up. */
  static LrSchedule constant(double lr) {
    return new ConstantSchedule(lr, 0);
  }

  /** transformers {@code get_constant_schedule_with_warmup}: linear warm-up from 0, then flat. */
  static LrSchedule constant(double lr, Warmup warmup, long totalSteps) {
    return new ConstantSchedule(lr, warmup.steps(totalSteps));
  }

  /**
   * transformers {@code get_linear_schedule_with_warmup}: linear warm-up from 0 to {@code peakLr},
   * then linear decay to 0 at {@code totalSteps}.
   */
  static LrSchedule linear(double peakLr, Warmup warmup, long totalSteps) {
    return new LinearSchedule(peakLr, warmup.steps(totalSteps), totalSteps);
  }

  /**
   * transformers {@code get_cosine_with_min_lr_schedule_with_warmup} (half a cosine cycle): linear
   * warm-up from 0 to {@code peakLr}, then cosine decay to {@code minLr} at {@code totalSteps};
   * {@code minLr} 0 gives {@code get_cosine_schedule_with_warmup}.
   */
  static LrSchedule cosine(double peakLr, double minLr, Warmup warmup, long totalSteps) {
    return new CosineSchedule(peakLr, minLr, warmup.steps(totalSteps), totalSteps);
  }

  /** The warm-up multiplier {@code step / max(1, warmupSteps)} used by every schedule here. */
  static double warmupFactor(long step, long warmupSteps) {
    return (double) step / Math.max(1, warmupSteps);
  }

  /** Checks that a step passed to {@link #lr} is not negative. */
  static void checkStep(long step) {
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
  }
}
