package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Generator;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.sampling.SamplingConfig;

class PpoTrainerTest {
  static final int B = 4;

  static LoraConfig lora(double dropout) {
    return LoraConfig.builder()
        .r(4)
        .loraAlpha(8)
        .loraDropout(dropout)
        .targetModules(List.of("c_attn"))
        .build();
  }

  static List<long[]> prompts(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<long[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long[] p = new long[2 + rng.nextInt(4)];
      for (int j = 0; j < p.length; j++) {
        p[j] = 1 + rng.nextInt(200);
      }
      out.add(p);
    }
    return out;
  }

  /** Six new tokens, sampled with seed 3. */
  static final GenerationConfig GENERATION =
      GenerationConfig.builder().maxNewTokens(6).sampling(SamplingConfig.ofSeed(3)).build();

  /**
   * A trainer builder of {@code policy} with {@code head}, the base with adapters off as the
   * reference, and {@code config}.
   */
  static PpoTrainerBuilder builder(
      CausalLM model, LoraModel policy, ValueHead head, PpoConfig config) {
    return PpoTrainer.builder()
        .model(model)
        .trainable(policy.trainableParameters())
        .valueHead(head)
        .reference(new AdapterSwitchingReference(policy))
        .config(config);
  }

  static PpoConfig.Builder ppo() {
    return PpoConfig.builder()
        .batchSize(B)
        .miniBatchSize(2)
        .ppoEpochs(2)
        .learningRate(1e-3)
        .seed(5);
  }

  @Test
  void firstMinibatchRatioIsOneAndKlIsZeroBeforeAnyUpdate() {
    try (CausalLM model = Presets.create("nano", 1);
        LoraModel policy = LoraModel.inject(model, lora(0.0), 2);
        NDManager m = NDManager.newBaseManager();
        ValueHead head = ValueHead.create(m, model.config().hiddenSize(), true, 0)) {
      PpoTrainer trainer = builder(model, policy, head, ppo().build()).build();
      Rollout r = new Generator(model, GENERATION).generate(prompts(B, 1));
      Map<String, Double> stats =
          trainer.step(r.queries(), r.responses(), new float[] {1, 0, 0.5f, -1});
      assertEquals(0.0, stats.get("objective/kl"), 1e-6, "fresh adapter: policy == reference");
      assertTrue(
          stats.get("ppo/policy/ratio_first_minibatch_max_dev") < 1e-6,
          "ratio on the first minibatch: " + stats.get("ppo/policy/ratio_first_minibatch_max_dev"));
      assertEquals(1, trainer.stepCount());
    }
  }

  @Test
  void trainReusesTheRolloutsLogProbsAndValuesAsTheOldPolicys() {
    // train() skips the policy's log-prob pass: the rollout's own log-probs and values must be
    // what that pass would give, so the first ratio is still 1 and the KL still 0
    try (CausalLM model = Presets.create("nano", 1);
        LoraModel policy = LoraModel.inject(model, lora(0.0), 2);
        NDManager m = NDManager.newBaseManager();
        ValueHead head = ValueHead.create(m, model.config().hiddenSize(), false, 0)) {
      PpoTrainer trainer =
          builder(model, policy, head, ppo().build()).generation(GENERATION).build();
      List<Map<String, Double>> seen = new ArrayList<>();
      List<Rollout> rollouts = new ArrayList<>();
      trainer.train(
          prompts(8, 2),
          batch -> scoresByLength(batch),
          1,
          (t, r, stats) -> {
            seen.add(stats);
            rollouts.add(r);
          });
      Map<String, Double> stats = seen.get(0);
      assertEquals(0.0, stats.get("objective/kl"), 1e-5, "fresh adapter: policy == reference");
      assertTrue(
          stats.get("ppo/policy/ratio_first_minibatch_max_dev") < 1e-5,
          "ratio on the first minibatch: " + stats.get("ppo/policy/ratio_first_minibatch_max_dev"));
      assertTrue(rollouts.get(0).values() != null, "the rollout carries the value head's values");
    }
  }

  @Test
  void onlyAdapterAndValueHeadParametersChange() {
    try (CausalLM model = Presets.create("nano", 1);
        LoraModel policy = LoraModel.inject(model, lora(0.05), 2);
        NDManager m = NDManager.newBaseManager();
        ValueHead head = ValueHead.create(m, model.config().hiddenSize(), false, 0)) {
      Map<String, float[]> baseBefore = snapshot(model.parameters());
      Map<String, float[]> trainBefore = snapshot(policy.trainableParameters());
      float[] headBefore = head.parameters().get(ValueHead.WEIGHT).toFloatArray();
      PpoTrainer trainer =
          builder(model, policy, head, ppo().build()).generation(GENERATION).build();
      trainer.train(prompts(8, 2), batch -> scoresByLength(batch), 2, null);
      baseBefore.forEach(
          (k, v) -> assertArrayEquals(v, model.parameters().get(k).toFloatArray(), k));
      int changed = 0;
      for (Map.Entry<String, NDArray> e : policy.trainableParameters().entrySet()) {
        if (!java.util.Arrays.equals(trainBefore.get(e.getKey()), e.getValue().toFloatArray())) {
          changed++;
        }
      }
      assertTrue(changed > 0, "some adapter weights must change");
      assertFalse(
          java.util.Arrays.equals(
              headBefore, head.parameters().get(ValueHead.WEIGHT).toFloatArray()));
    }
  }

  @Test
  void nanScoreStopsWithAClearError() {
    try (CausalLM model = Presets.create("nano", 1);
        LoraModel policy = LoraModel.inject(model, lora(0), 2);
        NDManager m = NDManager.newBaseManager();
        ValueHead head = ValueHead.create(m, model.config().hiddenSize(), true, 0)) {
      PpoTrainer trainer = builder(model, policy, head, ppo().build()).build();
      List<long[]> q = prompts(B, 3);
      List<long[]> r = prompts(B, 4);
      DivergenceException e =
          assertThrows(
              DivergenceException.class,
              () -> trainer.step(q, r, new float[] {0, Float.NaN, 0, 0}));
      assertTrue(e.getMessage().contains("score 1"), e.getMessage());
      assertEquals(0, trainer.stepCount());
    }
  }

  @Test
  void gradientCheckpointingGivesTheSameUpdate() {
    float[][] results = new float[2][];
    for (int run = 0; run < 2; run++) {
      try (CausalLM model = Presets.create("nano", 1);
          LoraModel policy = LoraModel.inject(model, lora(0.0), 2);
          NDManager m = NDManager.newBaseManager();
          ValueHead head = ValueHead.create(m, model.config().hiddenSize(), false, 0)) {
        PpoTrainer trainer =
            builder(model, policy, head, ppo().build())
                .gradientCheckpointing(run == 1)
                .generation(GENERATION)
                .build();
        trainer.train(prompts(8, 2), batch -> scoresByLength(batch), 1, null);
        NDArray b =
            policy.trainableParameters().values().stream().skip(1).findFirst().orElseThrow();
        results[run] = b.toFloatArray();
      }
    }
    for (int i = 0; i < results[0].length; i++) {
      assertEquals(results[0][i], results[1][i], 1e-5, "weight " + i);
    }
  }

  static float[] scoresByLength(List<rlhf4j.reward.RewardFunction.Sample> batch) {
    float[] s = new float[batch.size()];
    for (int i = 0; i < s.length; i++) {
      long even =
          java.util.Arrays.stream(batch.get(i).responseIds()).filter(x -> x % 2 == 0).count();
      s[i] = (float) even / batch.get(i).responseIds().length;
    }
    return s;
  }

  static Map<String, float[]> snapshot(Map<String, NDArray> params) {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }
}
