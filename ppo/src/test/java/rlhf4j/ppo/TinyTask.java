package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * The tiny synthetic task the trainer tests share: a random GPT-2 with a 32-token vocabulary, and a
 * reward for emitting target tokens 4..7 (an eighth of the vocabulary, so a random policy scores
 * about 0.125).
 */
public final class TinyTask {
  public static final int VOCAB = 32;

  private TinyTask() {}

  /** GPT-2 shape: vocab 32, width 32, 2 layers, 2 heads, 32 positions, no EOS. */
  public static ModelConfig gpt2() {
    return Presets.gpt2(VOCAB, 32, 2, 2, 32).toBuilder().bosTokenId(-1).eosTokenId(-1).build();
  }

  /** LoRA on every linear and the LM head (a random model's output barely moves otherwise). */
  public static LoraConfig lora() {
    return LoraConfig.builder()
        .r(8)
        .loraAlpha(16)
        .targetModules(List.of("c_attn", "c_proj", "c_fc", "lm_head"))
        .build();
  }

  /** Whether a token is a target. */
  public static boolean isTarget(long id) {
    return id >= 4 && id <= 7;
  }

  /** The fraction of response tokens that are targets. */
  public static final RewardFunction TARGET_FRACTION =
      RewardFunction.named(
          "target_fraction",
          batch -> {
            float[] s = new float[batch.size()]; // (B)
            for (int i = 0; i < s.length; i++) {
              long[] r = batch.get(i).responseIds();
              int hits = 0;
              for (long id : r) {
                hits += isTarget(id) ? 1 : 0;
              }
              s[i] = (float) hits / r.length;
            }
            return s;
          });

  /** {@code n} random prompts of 2 to 4 tokens. */
  public static List<long[]> prompts(int n, long seed) {
    List<long[]> prompts = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      long[] p = new long[2 + rng.nextInt(3)];
      for (int j = 0; j < p.length; j++) {
        p[j] = 1 + rng.nextInt(VOCAB - 1);
      }
      prompts.add(p);
    }
    return prompts;
  }

  /** Six new tokens per completion, sampled with seed 0. */
  public static final GenerationConfig GENERATION =
      GenerationConfig.builder().maxNewTokens(6).sampling(SamplingConfig.ofSeed(0)).build();

  /**
   * Trains a group trainer ({@code trainer} builds it from the setup) for {@code steps} steps: a
   * fresh LoRA ({@link #lora()}, seed 4) on the tiny model (seed 3), adapters off as the reference,
   * {@link #GENERATION}'s rollouts.
   *
   * @return every step's statistics
   */
  public static List<Map<String, Double>> trainGroup(
      Function<TrainerSetup, GroupTrainerBase> trainer,
      List<long[]> prompts,
      List<RewardFunction> rewardFuncs,
      int steps) {
    List<Map<String, Double>> stats = new ArrayList<>();
    try (CausalLM model = CausalLM.random(gpt2(), 3);
        LoraModel policy = LoraModel.inject(model, lora(), 4);
        GroupTrainerBase t =
            trainer.apply(
                TrainerSetup.builder()
                    .model(model)
                    .trainable(policy.trainableParameters())
                    .reference(new AdapterSwitchingReference(policy))
                    .generation(GENERATION)
                    .listener((step, s) -> stats.add(s)))) {
      t.train(prompts, rewardFuncs, steps, null);
    }
    return stats;
  }

  /** Copies of the arrays, by name. */
  public static Map<String, float[]> snapshot(Map<String, NDArray> params) {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  /** Mean of {@code values[from..to)}. */
  public static double mean(List<Double> values, int from, int to) {
    double s = 0;
    for (int i = from; i < to; i++) {
      s += values.get(i);
    }
    return s / (to - from);
  }
}
