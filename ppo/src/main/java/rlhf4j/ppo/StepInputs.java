package rlhf4j.ppo;

import java.util.List;
import rlhf4j.policy.train.DivergenceException;

/** The contract of TRL's {@code step(queries, responses, scores)} inputs, checked before a step. */
final class StepInputs {
  private StepInputs() {}

  /**
   * Checks counts, emptiness and scores.
   *
   * @throws IllegalArgumentException on a wrong count or an empty query or response (caller's
   *     mistake)
   * @throws DivergenceException on a NaN or infinite score (the reward function's)
   */
  static void check(List<long[]> queries, List<long[]> responses, float[] scores, int batchSize) {
    int b = batchSize;
    if (queries.size() != b || responses.size() != b || scores.length != b) {
      throw new IllegalArgumentException(
          "step needs batchSize = "
              + b
              + " queries, responses and scores, got "
              + queries.size()
              + ", "
              + responses.size()
              + " and "
              + scores.length);
    }
    for (int i = 0; i < b; i++) {
      if (!Float.isFinite(scores[i])) {
        throw new DivergenceException(
            "score "
                + i
                + " is "
                + scores[i]
                + "; fix the reward function (the last checkpoint is intact)");
      }
      if (responses.get(i).length == 0) {
        throw new IllegalArgumentException("response " + i + " is empty; PPO needs >= 1 token");
      }
      if (queries.get(i).length == 0) {
        throw new IllegalArgumentException("query " + i + " is empty");
      }
    }
  }
}
