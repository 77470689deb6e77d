package rlhf4j.cli.quickstart;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.builtin.MissingEosPenalty;
import rlhf4j.reward.model.RewardModel;

/**
 * The quickstart's PPO reward as a plug-in class, so Spark executors can build it by name: the
 * reward model saved in folder {@code path}, less {@code penalty} for a response without EOS id
 * {@code eos} (what {@link PpoPhase} scores with locally).
 */
public final class QuickstartReward implements RewardFunction, AutoCloseable {
  private final RewardModel model;
  private final RewardFunction scored;

  /** Options: {@code path} (the reward model folder), {@code eos}, {@code penalty}. */
  public QuickstartReward(Map<String, String> options) {
    String path = options.get("path");
    if (path == null || options.get("eos") == null || options.get("penalty") == null) {
      throw new IllegalArgumentException(
          "QuickstartReward needs the options path, eos and penalty, got " + options.keySet());
    }
    // the ids as the policy produced them, like the in-memory model PpoPhase scores with (the
    // reward-model plug-in would re-encode the decoded texts when the folder has a tokenizer)
    this.model = RewardModel.load(Path.of(path));
    this.scored =
        MissingEosPenalty.builder(model)
            .eosId(Long.parseLong(options.get("eos")))
            .penalty(Float.parseFloat(options.get("penalty")))
            .build();
  }

  @Override
  public float[] score(List<Sample> batch) {
    return scored.score(batch);
  }

  @Override
  public String name() {
    return "reward_model";
  }

  /** Frees the reward model's weights. */
  @Override
  public void close() {
    model.close();
  }
}
