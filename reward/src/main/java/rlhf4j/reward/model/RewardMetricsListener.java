package rlhf4j.reward.model;

import java.util.Map;

/**
 * Receives {@link RewardTrainer} metrics: after every optimizer step the {@code train/*} keys,
 * after every evaluation the {@code eval/*} keys (see {@link RewardTrainer} for the list).
 */
@FunctionalInterface
public interface RewardMetricsListener {

  /**
   * Called with the metrics of one step or evaluation.
   *
   * @param step optimizer steps completed so far
   * @param metrics metric name to value, in a stable order; unmodifiable
   */
  void onMetrics(long step, Map<String, Double> metrics);
}
