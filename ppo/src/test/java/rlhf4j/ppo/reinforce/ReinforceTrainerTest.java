package rlhf4j.ppo.reinforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TinyTask;
import rlhf4j.reward.RewardException;
import rlhf4j.reward.RewardFunction;

class ReinforceTrainerTest {
  static final List<long[]> PROMPTS = TinyTask.prompts(32, 11);

  static List<Map<String, Double>> train(
      ReinforceConfig config, RunConfig run, int steps, RewardFunction reward) {
    return TinyTask.trainGroup(
        setup -> new ReinforceTrainer(setup, config, run), PROMPTS, List.of(reward), steps);
  }

  @Test
  void firstStepHasKlZero() {
    ReinforceConfig config =
        ReinforceConfig.builder().samplesPerPrompt(2).baseline(true).learningRate(1e-2).build();
    Map<String, Double> s =
        train(
                config,
                RunConfig.builder().batchSize(2).miniBatchSize(4).seed(3).build(),
                1,
                TinyTask.TARGET_FRACTION)
            .get(0);
    assertEquals(0.0, s.get("kl"), 1e-6, "fresh adapter: policy == reference");
    assertTrue(Double.isFinite(s.get("loss")), s.toString());
  }

  @Test
  void anUnscoredSampleIsAnError() {
    RewardFunction none =
        RewardFunction.named(
            "none",
            batch -> {
              float[] s = new float[batch.size()];
              Arrays.fill(s, Float.NaN);
              return s;
            });
    ReinforceConfig config = ReinforceConfig.builder().learningRate(1e-2).build();
    RewardException e =
        assertThrows(
            RewardException.class,
            () ->
                train(config, RunConfig.builder().batchSize(2).miniBatchSize(2).build(), 1, none));
    assertTrue(e.getMessage().contains("REINFORCE++ needs a score"), e.getMessage());
  }

  @Test
  void learnsToEmitTargetTokens() {
    ReinforceConfig config =
        ReinforceConfig.builder()
            .samplesPerPrompt(4)
            .baseline(true)
            .maxEpochs(2)
            .learningRate(2e-2)
            .build();
    List<Double> rewards = new ArrayList<>();
    train(
            config,
            RunConfig.builder().batchSize(4).miniBatchSize(16).seed(7).build(),
            16,
            TinyTask.TARGET_FRACTION)
        .forEach(s -> rewards.add(s.get("reward")));
    System.out.println("REINFORCE++ reward per step: " + rewards);
    int n = rewards.size();
    assertTrue(
        TinyTask.mean(rewards, n - 3, n) >= TinyTask.mean(rewards, 0, 3) + 0.2,
        "reward must rise: " + rewards);
  }
}
