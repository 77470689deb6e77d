package rlhf4j.ppo.rloo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TinyTask;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.sampling.SamplingConfig;

class RlooTrainerTest {
  static final List<long[]> PROMPTS = TinyTask.prompts(32, 11);

  static List<Map<String, Double>> train(RlooConfig config, RunConfig run, int steps) {
    List<Map<String, Double>> stats = new ArrayList<>();
    try (CausalLM model = CausalLM.random(TinyTask.gpt2(), 3);
        LoraModel policy = LoraModel.inject(model, TinyTask.lora(), 4);
        RlooTrainer trainer =
            new RlooTrainer(
                TrainerSetup.builder()
                    .model(model)
                    .trainable(policy.trainableParameters())
                    .reference(new AdapterSwitchingReference(policy))
                    .generation(
                        GenerationConfig.builder()
                            .maxNewTokens(6)
                            .sampling(SamplingConfig.ofSeed(0))
                            .build())
                    .listener((step, s) -> stats.add(s)),
                config,
                run)) {
      trainer.train(PROMPTS, List.of(TinyTask.TARGET_FRACTION), steps, null);
    }
    return stats;
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
