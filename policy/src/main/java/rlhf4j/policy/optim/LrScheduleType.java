package rlhf4j.policy.optim;

/**
 * The shape of the learning rate after warm-up, transformers' {@code lr_scheduler_type} ({@code
 * SchedulerType}): the values every training command's YAML takes.
 */
public enum LrScheduleType {
  /** Flat at the peak rate ({@code get_constant_schedule_with_warmup}). */
  CONSTANT,
  /** Linear decay to 0 at the last step ({@code get_linear_schedule_with_warmup}; HF's default). */
  LINEAR,
  /** Half a cosine down to 0 at the last step ({@code get_cosine_schedule_with_warmup}). */
  COSINE;

  /**
   * This shape over a run of {@code totalSteps} optimizer steps, warming up linearly from 0 first.
   *
   * @param peakLr the learning rate after warm-up
   * @param warmup the warm-up, in steps or as a ratio of {@code totalSteps}
   * @param totalSteps the run's optimizer steps, &gt; 0
   */
  public LrSchedule schedule(double peakLr, Warmup warmup, long totalSteps) {
    return switch (this) {
      case CONSTANT -> LrSchedule.constant(peakLr, warmup, totalSteps);
      case LINEAR -> LrSchedule.linear(peakLr, warmup, totalSteps);
      case COSINE -> LrSchedule.cosine(peakLr, 0, warmup, totalSteps);
    };
  }
}
