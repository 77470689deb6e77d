package rlhf4j.policy.optim;

/**
 * Linear warm-up from 0 to {@code peakLr}, then half a cosine down to {@code minLr} at {@code
 * totalSteps}, flat at {@code minLr} afterwards (transformers {@code
 * get_cosine_with_min_lr_schedule_with_warmup} with {@code num_cycles = 0.5}; {@code minLr = 0} is
 * {@code get_cosine_schedule_with_warmup}):
 *
 * <pre>
 * lr(s) = peakLr · s / max(1, W)                                  for s &lt; W
 * p     = min(1, (s − W) / max(1, N − W))
 * lr(s) = minLr + (peakLr − minLr) · 0.5 · (1 + cos(π·p))          otherwise
 * </pre>
 *
 * Unlike transformers, progress is capped at 1, so steps past N stay at {@code minLr} instead of
 * climbing the next half-cycle.
 *
 * @param peakLr learning rate at the end of warm-up
 * @param minLr floor reached at {@code totalSteps}, in [0, peakLr]
 * @param warmupSteps W
 * @param totalSteps N
 */
public record CosineSchedule(double peakLr, double minLr, long warmupSteps, long totalSteps)
    implements LrSchedule {

  /** Validates the fields. */
  public CosineSchedule {
    if (!(peakLr >= 0) || Double.isInfinite(peakLr)) {
      throw new IllegalArgumentException("peakLr must be finite and >= 0, got " + peakLr);
    }
    if (!(minLr >= 0 && minLr <= peakLr)) {
      throw new IllegalArgumentException(
          "minLr must be in [0, peakLr=" + peakLr + "], got " + minLr);
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
    double progress =
        Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minLr + (peakLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
  }
}
