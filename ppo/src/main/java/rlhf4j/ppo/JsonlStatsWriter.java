package rlhf4j.ppo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import rlhf4j.policy.train.MetricsWriter;

/**
 * PPO's statistics as a {@link StatsListener}: appends one JSON object per step ({@code {"step": n,
 * "time/wall_s": s, "objective/kl": ...}}, TRL's keys) to a file through the shared {@link
 * MetricsWriter} (NaN and infinite values written as null), which also writes the steps to a
 * TensorBoard event file in the same folder.
 */
public final class JsonlStatsWriter implements StatsListener, AutoCloseable {
  private final MetricsWriter out;

  /** Appends to {@code file} (created when missing). */
  public JsonlStatsWriter(Path file) throws IOException {
    this(MetricsWriter.append(file));
  }

  /** Writes through {@code out} (e.g. {@link MetricsWriter#resume}). */
  public JsonlStatsWriter(MetricsWriter out) {
    this.out = out;
  }

  @Override
  public void onStep(long step, Map<String, Double> stats) {
    out.write(step, stats);
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
