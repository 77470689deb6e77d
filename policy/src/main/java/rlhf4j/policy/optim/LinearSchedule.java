package rlhf4j.policy.optim;

/**
 * Linear warm-up from 0 to {@code peakLr}, then linear decay to 0 at {@code totalSteps} and 0
 * afterwards (transformers {@code get_linear_schedule_with_warmup}):
 *
 * <pre>
 * lr(s) = peakLr · s / max(1, W)                          for s &lt; W
 * lr(s) = peakLr · max(0, (N − s) / max(1, N − W))        otherwise
 * </pre>
 *
 * @param peakLr learning rate at the end of warm-up
 * @param warmupSteps W
 * @param totalSteps N
 */
public record LinearSchedule(double peakLr, long warmupSteps, long totalSteps)
    implements LrSchedule {

  /** Validates the fields. */
  public LinearSchedule {
    if (!(peakLr >= 0) || Double.isInfinite(peakLr)) {
      throw new IllegalArgumentException("peakLr must be finite and >= 0, got " + peakLr);
    }
    if (totalSteps <= 0) {
      throw new IllegalArgumentException("totalSteps must be > 0, got " + totalSteps);
    }
    if (warmupSteps < 0 || warmupSteps > totalSteps) {
      throw new IllegalArgumentException(
          "warmupSteps must be in [0, totalSteps=" + totalSteps + "], got " + warmupSteps);
    }
  }

  @Override
  public double lr(long step) {
    LrSchedule.checkStep(step);
    if (step < warmupSteps) {
      return peakLr * LrSchedule.warmupFactor(step, warmupSteps);
    }
    return peakLr
        * Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  }
}
