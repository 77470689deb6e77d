package rlhf4j.ppo;

import java.util.ArrayList;
import java.util.List;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.Rollout;

/** A rollout's rows as reward-function samples (prompt and response, as text and ids). */
public final class RolloutSamples {
  private RolloutSamples() {}

  /**
   * One sample per row, in row order.
   *
   * @param tokenizer decodes the prompts; null gives empty prompt texts
   */
  public static List<RewardFunction.Sample> of(Rollout rollout, Tokenizer tokenizer) {
    List<RewardFunction.Sample> samples = new ArrayList<>();
    for (int i = 0; i < rollout.size(); i++) {
      long[] query = rollout.queries().get(i);
      String promptText = tokenizer == null ? "" : tokenizer.decode(query, true);
      String responseText = rollout.texts() == null ? "" : rollout.texts().get(i);
      samples.add(
          new RewardFunction.Sample(promptText, responseText, query, rollout.responses().get(i)));
    }
    return samples;
  }
}
