package rlhf4j.policy.sft;

import java.util.LinkedHashMap;
import java.util.Map;

/** Receives training progress every {@link SftConfig#logEvery()} steps and after the last step. */
@FunctionalInterface
public interface SftListener {

  /**
   * Called after optimizer step {@code step} (1-based).
   *
   * @param step optimizer steps done so far
   * @param loss mean of the per-step losses since the previous call
   * @param learningRate the rate the last step used
   * @param tokensPerSecond real (unpadded) input tokens per second since the previous call
   */
  void onStep(long step, double loss, double learningRate, double tokensPerSecond);

  /**
   * One {@link #onStep} call as a metrics row ({@code sft/loss}, {@code sft/learning_rate}, {@code
   * sft/tokens_per_s}), for {@code rlhf4j.policy.train.MetricsWriter}.
   */
  static Map<String, Double> metrics(double loss, double learningRate, double tokensPerSecond) {
    Map<String, Double> row = new LinkedHashMap<>();
    row.put("sft/loss", loss);
    row.put("sft/learning_rate", learningRate);
    row.put("sft/tokens_per_s", tokensPerSecond);
    return row;
  }

  /** A listener that ignores everything. */
  static SftListener none() {
    return (step, loss, lr, tokensPerSecond) -> {};
  }
}
