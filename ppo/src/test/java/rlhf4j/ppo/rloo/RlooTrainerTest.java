package rlhf4j.ppo.rloo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TinyTask;

class RlooTrainerTest {
  static final List<long[]> PROMPTS = TinyTask.prompts(32, 11);

  static List<Map<String, Double>> train(RlooConfig config, RunConfig run, int steps) {
    return TinyTask.trainGroup(
        setup -> new RlooTrainer(setup, config, run),
        PROMPTS,
        List.of(TinyTask.TARGET_FRACTION),
        steps);
  }

  @Test
  void firstStepHasKlZeroAndNoClipping() {
    RlooConfig config = RlooConfig.builder().numGenerations(4).learningRate(1e-2).build();
    Map<String, Double> s =
        train(config, RunConfig.builder().batchSize(2).miniBatchSize(4).seed(3).build(), 1).get(0);
    assertEquals(0.0, s.get("kl"), 1e-6, "fresh adapter: policy == reference");
    assertEquals(0.0, s.get("clip_ratio/region_mean"), "mu = 1: ratio 1");
    assertTrue(s.containsKey("rewards/target_fraction/mean"), s.keySet().toString());
  }

  @Test
  void learnsToEmitTargetTokens() {
    RlooConfig config =
        RlooConfig.builder().numGenerations(4).numIterations(2).learningRate(2e-2).build();
    List<Double> rewards = new ArrayList<>();
    train(config, RunConfig.builder().batchSize(4).miniBatchSize(16).seed(7).build(), 16)
        .forEach(s -> rewards.add(s.get("reward")));
    System.out.println("RLOO reward per step: " + rewards);
    int n = rewards.size();
    assertTrue(
        TinyTask.mean(rewards, n - 3, n) >= TinyTask.mean(rewards, 0, 3) + 0.2,
        "reward must rise: " + rewards);
  }
}
