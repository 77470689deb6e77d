package rlhf4j.ppo.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TinyTask;
import rlhf4j.ppo.TrainerCheckpoint;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardFunction;

class GrpoTrainerTest {
  static final List<long[]> PROMPTS = TinyTask.prompts(32, 11);

  /** A policy, its trainer and the stats of every step. */
  static final class Run implements AutoCloseable {
    final CausalLM model;
    final LoraModel policy;
    final GrpoTrainer trainer;
    final List<Map<String, Double>> stats = new ArrayList<>();

    Run(GrpoConfig config, RunConfig run, LoraConfig lora, boolean withReference) {
      model = CausalLM.random(TinyTask.gpt2(), 3);
      policy = LoraModel.inject(model, lora, 4);
      TrainerSetup setup =
          TrainerSetup.builder()
              .model(model)
              .trainable(policy.trainableParameters())
              .generation(TinyTask.GENERATION)
              .listener((step, s) -> stats.add(s));
      if (withReference) {
        setup.reference(new AdapterSwitchingReference(policy));
      }
      trainer = new GrpoTrainer(setup, config, run);
    }

    @Override
    public void close() {
      trainer.close();
      policy.close();
      model.close();
    }
  }

  static RunConfig run(int batchSize, int miniBatchSize) {
    return RunConfig.builder().batchSize(batchSize).miniBatchSize(miniBatchSize).seed(7).build();
  }

  static GrpoConfig.Builder grpo() {
    return GrpoConfig.builder().numGenerations(4).learningRate(1e-2).maxCompletionLength(6);
  }

  static LoraConfig lora(double dropout) {
    return LoraConfig.builder()
        .r(4)
        .loraAlpha(8)
        .loraDropout(dropout)
        .targetModules(List.of("c_attn", "lm_head"))
        .build();
  }

  @Test
  void firstUpdateWithOneIterationHasRatioExactlyOneAndKlZero() {
    GrpoConfig config = grpo().beta(0.04).build();
    try (Run r = new Run(config, run(2, 4), lora(0), true)) {
      r.trainer.train(PROMPTS, List.of(TinyTask.TARGET_FRACTION), 1, null);
      Map<String, Double> s = r.stats.get(0);
      assertEquals(0.0, s.get("ratio_max_dev"), "mu = 1: old = current, ratio exactly 1");
      assertEquals(0.0, s.get("kl"), 1e-6, "fresh adapter: policy == reference at step 0");
      assertEquals(0.0, s.get("clip_ratio/region_mean"));
      for (String key :
          List.of(
              "reward",
              "reward_std",
              "rewards/target_fraction/mean",
              "frac_reward_zero_std",
              "entropy",
              "clip_ratio/low_mean",
              "clip_ratio/high_mean",
              "completions/mean_length",
              "completions/clipped_ratio")) {
        assertTrue(s.containsKey(key), "TRL metric " + key + " missing: " + s.keySet());
      }
    }
  }

  @Test
  void betaZeroNeedsNoReferenceAndLogsNoKl() {
    try (Run r = new Run(grpo().build(), run(2, 8), lora(0), false)) {
      r.trainer.train(PROMPTS, List.of(TinyTask.TARGET_FRACTION), 1, null);
      assertFalse(r.stats.get(0).containsKey("kl"), "beta 0: no reference pass, no kl");
    }
  }

  @Test
  void severalIterationsRecomputeOldLogProbsAndStartAtRatioOne() {
    GrpoConfig config = grpo().numIterations(2).beta(0.04).build();
    try (Run r = new Run(config, run(2, 4), lora(0), true)) {
      r.trainer.train(PROMPTS, List.of(TinyTask.TARGET_FRACTION), 1, null);
      assertTrue(r.stats.get(0).get("ratio_max_dev") < 1e-5, r.stats.get(0).toString());
      assertEquals(2, r.trainer.optimizer().stepCount(), "one optimizer step per iteration");
    }
  }

  @Test
  void onlyAdapterWeightsMove() {
    try (Run r = new Run(grpo().build(), run(2, 8), lora(0.05), false)) {
      Map<String, float[]> base = TinyTask.snapshot(r.model.parameters());
      Map<String, float[]> adapters = TinyTask.snapshot(r.trainer.trainableParameters());
      r.trainer.train(PROMPTS, List.of(TinyTask.TARGET_FRACTION), 2, null);
      base.forEach((k, v) -> assertArrayEquals(v, r.model.parameters().get(k).toFloatArray(), k));
      int changed = 0;
      for (Map.Entry<String, NDArray> e : r.trainer.trainableParameters().entrySet()) {
        changed += Arrays.equals(adapters.get(e.getKey()), e.getValue().toFloatArray()) ? 0 : 1;
      }
      assertTrue(changed > 0, "some adapter weights must change");
    }
  }

  @Test
  void nanRewardsAreLeftOutAndAnAllNanBatchTrainsNothing() {
    // function a scores only even rows, b none at all: rewards come from a's scores alone
    RewardFunction a =
        RewardFunction.named(
            "a",
            batch -> {
              float[] s = TinyTask.TARGET_FRACTION.score(batch);
              for (int i = 1; i < s.length; i += 2) {
                s[i] = Float.NaN;
              }
              return s;
            });
    RewardFunction none =
        RewardFunction.named(
            "none",
            batch -> {
              float[] s = new float[batch.size()];
              Arrays.fill(s, Float.NaN);
              return s;
            });
    try (Run r = new Run(grpo().build(), run(2, 8), lora(0), false)) {
      r.trainer.train(PROMPTS, List.of(a, none), 1, null);
      Map<String, Double> s = r.stats.get(0);
      assertTrue(Double.isFinite(s.get("reward")), s.toString());
      assertTrue(Double.isNaN(s.get("rewards/none/mean")), "no score at all: NaN mean");
      assertTrue(Double.isFinite(s.get("loss")), s.toString());
    }
    try (Run r = new Run(grpo().build(), run(2, 8), lora(0), false)) {
      Map<String, float[]> before = TinyTask.snapshot(r.trainer.trainableParameters());
      r.trainer.train(PROMPTS, List.of(none), 1, null);
      assertEquals(0.0, r.stats.get(0).get("loss"), "every advantage is 0");
      before.forEach(
          (k, v) ->
              assertArrayEquals(
                  v, r.trainer.trainableParameters().get(k).toFloatArray(), 1e-12f, k));
    }
  }

  @Test
  void infiniteRewardIsTheFunctionsFault() {
    RewardFunction bad = RewardFunction.named("bad", batch -> new float[] {Float.NaN});
    try (Run r = new Run(grpo().build(), run(2, 8), lora(0), false)) {
      Exception e =
          assertThrows(
              RuntimeException.class, () -> r.trainer.train(PROMPTS, List.of(bad), 1, null));
      assertTrue(e.getMessage().contains("'bad'"), e.getMessage());
      assertEquals(0, r.trainer.stepCount());
    }
  }

  @Test
  void resumedRunEqualsAnUninterruptedOneBitForBit(@TempDir Path dir) throws Exception {
    GrpoConfig config = grpo().numIterations(2).beta(0.04).build();
    RunConfig run = run(2, 4);
    List<RewardFunction> funcs = List.of(TinyTask.TARGET_FRACTION);
    Map<String, float[]> uninterrupted;
    try (Run r = new Run(config, run, lora(0.1), true)) {
      r.trainer.train(PROMPTS, funcs, 4, null);
      uninterrupted = TinyTask.snapshot(r.trainer.trainableParameters());
    }
    try (Run r = new Run(config, run, lora(0.1), true)) {
      r.trainer.train(PROMPTS, funcs, 2, TrainerCheckpoint.every(2, r.policy::save, dir, 0));
    }
    try (Run r = new Run(config, run, lora(0.1), true)) {
      TrainerCheckpoint.restore(r.trainer, TrainerCheckpoint.latest(dir).orElseThrow());
      assertEquals(2, r.trainer.stepCount());
      r.trainer.train(PROMPTS, funcs, 4, null);
      uninterrupted.forEach(
          (k, v) -> assertArrayEquals(v, r.trainer.trainableParameters().get(k).toFloatArray(), k));
    }
  }

  @Test
  void learnsToEmitTargetTokens() {
    GrpoConfig config = grpo().numIterations(2).learningRate(2e-2).build();
    List<Double> rewards = new ArrayList<>();
    try (Run r = new Run(config, run(4, 16), TinyTask.lora(), false)) {
      r.trainer.train(PROMPTS, List.of(TinyTask.TARGET_FRACTION), 16, null);
      r.stats.forEach(s -> rewards.add(s.get("reward")));
    }
    System.out.println("GRPO reward per step: " + rewards);
    int n = rewards.size();
    assertTrue(
        TinyTask.mean(rewards, n - 3, n) >= TinyTask.mean(rewards, 0, 3) + 0.2,
        "reward must rise: " + rewards);
  }

  @Test
  void miniBatchesAccumulateToTheWholeBatchUpdate() {
    // dapo divides by the generation batch's token count, so mini-batch gradients add up exactly
    float[][] results = new float[2][];
    int[] miniBatch = {2, 8};
    for (int k = 0; k < 2; k++) {
      try (Run r = new Run(grpo().build(), run(2, miniBatch[k]), lora(0), false)) {
        r.trainer.train(PROMPTS, List.of(TinyTask.TARGET_FRACTION), 1, null);
        String first =
            r.trainer.trainableParameters().keySet().stream()
                .filter(n -> n.contains("lora_B"))
                .findFirst()
                .orElseThrow();
        results[k] = r.trainer.trainableParameters().get(first).toFloatArray();
      }
    }
    assertArrayEquals(results[1], results[0], 1e-5f);
  }

  @Test
  void aCheckpointOfAnotherAlgorithmIsRefused(@TempDir Path dir) throws Exception {
    try (Run r = new Run(grpo().build(), run(2, 8), lora(0), false)) {
      r.trainer.train(PROMPTS, List.of(TinyTask.TARGET_FRACTION), 1, null);
      Path ckpt = TrainerCheckpoint.save(r.trainer, null, dir);
      try (rlhf4j.ppo.dpo.DpoTrainer dpo =
          new rlhf4j.ppo.dpo.DpoTrainer(
              TrainerSetup.builder()
                  .model(r.model)
                  .trainable(r.policy.trainableParameters())
                  .reference(new AdapterSwitchingReference(r.policy)),
              rlhf4j.ppo.dpo.DpoConfig.builder().build(),
              run(2, 4))) {
        Exception e =
            assertThrows(
                rlhf4j.policy.io.CheckpointException.class,
                () -> TrainerCheckpoint.restore(dpo, ckpt));
        assertTrue(e.getMessage().contains("not a dpo trainer state"), e.getMessage());
      }
    }
  }

  @Test
  void aMiniBatchSizeThatDoesNotDivideTheCompletionsIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Run(grpo().build(), run(2, 3), lora(0), false));
    assertTrue(
        e.getMessage().contains("miniBatchSize must divide the 8 completions"), e.getMessage());
  }

  @Test
  void rewardWeightsScaleTheReward() {
    try (Run r = new Run(grpo().rewardWeights(0.5).build(), run(2, 8), lora(0), false)) {
      r.trainer.train(PROMPTS, List.of(TinyTask.TARGET_FRACTION), 1, null);
      Map<String, Double> s = r.stats.get(0);
      assertEquals(0.5 * s.get("rewards/target_fraction/mean"), s.get("reward"), 1e-9);
    }
  }
}
