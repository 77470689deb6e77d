package rlhf4j.cli.bench;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import rlhf4j.policy.optim.Optimizer;
import rlhf4j.policy.optim.OptimizerState;

/**
 * Measures the native memory an RL step's update phase adds (activations, graphs, gradients,
 * dequantised weights the graph holds), as {@code update_peak_extra_mb}: the resident-set
 * high-water mark during the update minus the resident set just before it.
 *
 * <p>It wraps the trainer's optimizer, because the update is the only phase that calls it: the
 * update's first {@link #zeroGrad} (before any mini-batch's forward) reads VmRSS and resets VmHWM
 * to it ({@code 5 > /proc/self/clear_refs}); each {@link #step} reads VmHWM before the optimizer
 * runs, so the optimizer's own temporaries do not count; {@link #endStep()}, called after the
 * trainer's step, records the difference. VmHWM is the kernel's exact high-water mark, so no
 * short-lived peak between samples is missed. Everything else is delegated unchanged.
 *
 * <p>Freed memory glibc kept from earlier phases (rollout, log-prob passes) is reused by the update
 * without growing the resident set, so the number is a lower bound unless freed memory is returned
 * to the kernel ({@code --release-freed-memory}).
 */
final class UpdateMemoryProbe implements Optimizer {
  private final Optimizer delegate;
  private final List<Double> extraMb = new ArrayList<>();
  private boolean inUpdate;
  private boolean resetWorked = true;
  private double rssBeforeMb;
  private double peakMb;

  UpdateMemoryProbe(Optimizer delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public void zeroGrad(Map<String, NDArray> params) {
    if (!inUpdate) {
      inUpdate = true;
      rssBeforeMb = BenchSupport.rssMb();
      resetWorked &= BenchSupport.resetPeakRss();
      peakMb = rssBeforeMb;
    }
    delegate.zeroGrad(params);
  }

  @Override
  public void step(Map<String, NDArray> params) {
    if (inUpdate) {
      peakMb = Math.max(peakMb, BenchSupport.peakSinceResetMb());
    }
    delegate.step(params);
  }

  /** Ends the current RL step: records its update's peak growth (nothing if it had no update). */
  void endStep() {
    if (inUpdate) {
      extraMb.add(resetWorked ? peakMb - rssBeforeMb : Double.NaN);
      inUpdate = false;
    }
  }

  /** {@code update_peak_extra_mb} of every finished step, in order. */
  List<Double> extraMb() {
    return List.copyOf(extraMb);
  }

  /** Whether every VmHWM reset was accepted (else the numbers are NaN). */
  boolean resetWorked() {
    return resetWorked;
  }

  /**
   * Adds {@code update_peak_extra_mb} (the median over the steps after the {@code warmup} first
   * ones) and how it was measured to {@code summary}, and the per-step values to {@code report}.
   */
  void report(
      com.google.gson.JsonObject summary,
      com.google.gson.JsonObject report,
      int warmup,
      boolean releaseFreedMemory) {
    List<Double> timed = extraMb.subList(Math.min(warmup, extraMb.size()), extraMb.size());
    if (timed.isEmpty() || !resetWorked) {
      summary.add("update_peak_extra_mb", com.google.gson.JsonNull.INSTANCE); // JSON has no NaN
    } else {
      summary.addProperty("update_peak_extra_mb", BenchSupport.round(BenchSupport.median(timed)));
    }
    summary.addProperty("release_freed_memory", releaseFreedMemory);
    com.google.gson.JsonObject m = new com.google.gson.JsonObject();
    com.google.gson.JsonArray steps = new com.google.gson.JsonArray();
    extraMb.forEach(x -> steps.add(Double.isNaN(x) ? null : BenchSupport.round(x)));
    m.add("update_peak_extra_mb_per_step", steps);
    m.addProperty(
        "method",
        resetWorked
            ? "VmHWM read before each optimizer step, after resetting it (5 > /proc/self/clear_refs)"
                + " at the update's first zeroGrad, minus VmRSS at that reset; median of the steps"
                + " after warm-up"
            : "unavailable: /proc/self/clear_refs refused the VmHWM reset");
    if (!releaseFreedMemory) {
      m.addProperty(
          "caveat",
          "a lower bound: glibc reuses freed memory kept from earlier phases without growing the"
              + " resident set; run with --release-freed-memory for live-tensor bytes");
    }
    report.add("update_memory", m);
  }

  @Override
  public long stepCount() {
    return delegate.stepCount();
  }

  @Override
  public double learningRate() {
    return delegate.learningRate();
  }

  @Override
  public OptimizerState exportState() {
    return delegate.exportState();
  }

  @Override
  public void importState(OptimizerState state) {
    delegate.importState(state);
  }

  @Override
  public long stateBytes() {
    return delegate.stateBytes();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
