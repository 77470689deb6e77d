package rlhf4j.ppo.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
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
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Generator;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.sampling.SamplingConfig;

class DpoTrainerTest {
  /** Chosen: four target tokens; rejected: four other tokens. */
  static List<DpoPair> pairs(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<long[]> prompts = TinyTask.prompts(n, seed);
    List<DpoPair> out = new ArrayList<>();
    for (long[] prompt : prompts) {
      long[] chosen = new long[4];
      long[] rejected = new long[4];
      for (int j = 0; j < 4; j++) {
        chosen[j] = 4 + rng.nextInt(4);
        long r;
        do {
          r = 1 + rng.nextInt(TinyTask.VOCAB - 1);
        } while (TinyTask.isTarget(r));
        rejected[j] = r;
      }
      out.add(new DpoPair(prompt, chosen, rejected));
    }
    return out;
  }

  static final List<DpoPair> PAIRS = pairs(32, 5);

  static final class Run implements AutoCloseable {
    final CausalLM model = CausalLM.random(TinyTask.gpt2(), 3);
    final LoraModel policy;
    final DpoTrainer trainer;
    final List<Map<String, Double>> stats = new ArrayList<>();

    Run(DpoConfig config, RunConfig run, LoraConfig lora) {
      policy = LoraModel.inject(model, lora, 4);
      trainer =
          new DpoTrainer(
              TrainerSetup.builder()
                  .model(model)
                  .trainable(policy.trainableParameters())
                  .reference(new AdapterSwitchingReference(policy))
                  .listener((step, s) -> stats.add(s)),
              config,
              run);
    }

    /** The target fraction of sampled completions of held-out prompts. */
    double sampledTargetFraction() {
      Rollout r =
          new Generator(
                  model,
                  GenerationConfig.builder()
                      .maxNewTokens(4)
                      .sampling(SamplingConfig.ofSeed(99))
                      .build())
              .generate(TinyTask.prompts(32, 1234));
      List<RewardFunction.Sample> samples = new ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        samples.add(new RewardFunction.Sample("", "", r.queries().get(i), r.responses().get(i)));
      }
      double sum = 0;
      for (float s : TinyTask.TARGET_FRACTION.score(samples)) {
        sum += s;
      }
      return sum / r.size();
    }

    @Override
    public void close() {
      trainer.close();
      policy.close();
      model.close();
    }
  }

  static LoraConfig lora(double dropout) {
    return LoraConfig.builder()
        .r(4)
        .loraAlpha(8)
        .loraDropout(dropout)
        .targetModules(List.of("c_attn", "lm_head"))
        .build();
  }

  static RunConfig run() {
    return RunConfig.builder().batchSize(4).miniBatchSize(4).seed(9).build();
  }

  @Test
  void firstStepOfAFreshAdapterHasZeroMarginsAndLossLogTwo() {
    try (Run r = new Run(DpoConfig.builder().learningRate(1e-2).build(), run(), lora(0))) {
      r.trainer.train(PAIRS, 1, null);
      Map<String, Double> s = r.stats.get(0);
      assertEquals(Math.log(2), s.get("loss"), 1e-6, "policy == reference: -log sigmoid(0)");
      assertEquals(0.0, s.get("rewards/margins"), 1e-6);
      for (String key :
          List.of(
              "rewards/chosen",
              "rewards/rejected",
              "rewards/accuracies",
              "logps/chosen",
              "logps/rejected")) {
        assertTrue(s.containsKey(key), "TRL metric " + key + " missing: " + s.keySet());
      }
    }
  }

  @Test
  void precomputedReferenceGivesTheSameFirstStep() {
    double[] loss = new double[2];
    for (int k = 0; k < 2; k++) {
      DpoConfig config =
          DpoConfig.builder().learningRate(1e-2).precomputeRefLogProbs(k == 1).build();
      try (Run r = new Run(config, run(), lora(0))) {
        r.trainer.train(PAIRS, 2, null);
        loss[k] = r.stats.get(1).get("loss");
      }
    }
    assertEquals(loss[0], loss[1], 1e-5);
  }

  @Test
  void learnsToPreferTheChosenCompletions() {
    DpoConfig config = DpoConfig.builder().learningRate(2e-2).build();
    RunConfig run = RunConfig.builder().batchSize(8).miniBatchSize(16).seed(9).build();
    try (Run r = new Run(config, run, TinyTask.lora())) {
      double before = r.sampledTargetFraction();
      r.trainer.train(PAIRS, 16, null);
      double after = r.sampledTargetFraction();
      List<Double> margins = new ArrayList<>();
      r.stats.forEach(s -> margins.add(s.get("rewards/margins")));
      System.out.println(
          "DPO margins per step: " + margins + "; target fraction " + before + " -> " + after);
      int n = r.stats.size();
      assertTrue(
          r.stats.get(n - 1).get("rewards/accuracies") >= 0.9, r.stats.get(n - 1).toString());
      assertTrue(r.stats.get(n - 1).get("loss") < Math.log(2) - 0.2, r.stats.get(n - 1).toString());
      assertTrue(after >= before + 0.2, "sampled target fraction " + before + " -> " + after);
    }
  }

  @Test
  void resumedRunEqualsAnUninterruptedOneBitForBit(@TempDir Path dir) throws Exception {
    DpoConfig config = DpoConfig.builder().learningRate(1e-2).precomputeRefLogProbs(true).build();
    Map<String, float[]> uninterrupted;
    try (Run r = new Run(config, run(), lora(0.1))) {
      r.trainer.train(PAIRS, 4, null);
      uninterrupted = TinyTask.snapshot(r.trainer.trainableParameters());
    }
    try (Run r = new Run(config, run(), lora(0.1))) {
      r.trainer.train(PAIRS, 2, TrainerCheckpoint.every(2, r.policy::save, dir, 0));
    }
    try (Run r = new Run(config, run(), lora(0.1))) {
      TrainerCheckpoint.restore(r.trainer, TrainerCheckpoint.latest(dir).orElseThrow());
      r.trainer.train(PAIRS, 4, null);
      uninterrupted.forEach(
          (k, v) -> assertArrayEquals(v, r.trainer.trainableParameters().get(k).toFloatArray(), k));
    }
  }
}
