package rlhf4j.ppo.reinforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TinyTask;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardException;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.sampling.SamplingConfig;

class ReinforceTrainerTest {
  static final List<long[]> PROMPTS = TinyTask.prompts(32, 11);

  static List<Map<String, Double>> train(
      ReinforceConfig config, RunConfig run, int steps, RewardFunction reward) {
    List<Map<String, Double>> stats = new ArrayList<>();
    try (CausalLM model = CausalLM.random(TinyTask.gpt2(), 3);
        LoraModel policy = LoraModel.inject(model, TinyTask.lora(), 4);
        ReinforceTrainer trainer =
            new ReinforceTrainer(
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
      trainer.train(PROMPTS, List.of(reward), steps, null);
    }
    return stats;
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
