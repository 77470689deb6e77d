package rlhf4j.examples.ppoloop;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.train.Engines;
import rlhf4j.ppo.PpoConfig;
import rlhf4j.ppo.PpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * The whole PPO loop in one method of about 50 formatted lines: a seeded GPT-2-shaped model ({@code
 * nano} preset, random weights), a LoRA adapter, a value head, the reference as "adapters off", and
 * a lambda reward that pays for response tokens with an id below {@link #FAVOURITE_BELOW}. Run:
 * {@code PpoLoop [steps] [seed]}.
 */
public final class PpoLoop {
  /** Tokens with an id below this are rewarded: 32 of the 512 ids, about 6% at random. */
  public static final int FAVOURITE_BELOW = 32;

  /** Mean reward of every step's batch, in step order. */
  public record Result(List<Double> meanRewards) {
    /** Mean over the first {@code n} steps. */
    public double first(int n) {
      return meanRewards.subList(0, n).stream().mapToDouble(d -> d).average().orElseThrow();
    }

    /** Mean over the last {@code n} steps. */
    public double last(int n) {
      int s = meanRewards.size();
      return meanRewards.subList(s - n, s).stream().mapToDouble(d -> d).average().orElseThrow();
    }
  }

  private PpoLoop() {}

  public static void main(String[] args) {
    Engines.configure(1); // offline, one intra-op thread
    System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error"); // no GPU
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 0;
    Result r = run(steps, seed);
    System.out.printf(
        "mean reward: first 3 steps %.3f, last 3 steps %.3f%n", r.first(3), r.last(3));
  }

  /** Trains for {@code steps} PPO steps and prints the mean reward of each. */
  public static Result run(int steps, long seed) {
    LoraConfig lora =
        LoraConfig.builder().r(8).loraAlpha(16).targetModules(List.of("c_attn", "lm_head")).build();
    try (CausalLM model = Presets.create("nano", seed);
        LoraModel policy = LoraModel.inject(model, lora, seed);
        NDManager manager = NDManager.newBaseManager();
        ValueHead valueHead = ValueHead.create(manager, model.config().hiddenSize(), true, seed)) {
      RewardFunction reward = // the fraction of response tokens that are favourites
          batch -> {
            float[] scores = new float[batch.size()];
            for (int i = 0; i < scores.length; i++) {
              long[] ids = batch.get(i).responseIds();
              long hits = java.util.Arrays.stream(ids).filter(id -> id < FAVOURITE_BELOW).count();
              scores[i] = (float) hits / ids.length;
            }
            return scores;
          };
      PpoTrainer trainer =
          PpoTrainer.builder()
              .model(model)
              .trainable(policy.trainableParameters())
              .valueHead(valueHead)
              .reference(new AdapterSwitchingReference(policy)) // the policy with adapters off
              .config(
                  PpoConfig.builder()
                      .batchSize(8)
                      .miniBatchSize(4)
                      .learningRate(2e-2) // tiny random model: far above TRL's 1.41e-5
                      .maxGradNorm(1.0)
                      .adaptiveKl(false)
                      .initKlCoef(0.01)
                      .seed(seed)
                      .build())
              .generation(
                  GenerationConfig.builder()
                      .maxNewTokens(8)
                      .sampling(SamplingConfig.ofSeed(seed))
                      .build())
              .build();
      List<Double> meanRewards = new ArrayList<>();
      trainer.train(
          randomPrompts(64, model.config().vocabSize(), seed),
          reward,
          steps,
          (t, rollout, stats) -> {
            meanRewards.add(stats.get("objective/scores"));
            System.out.printf(
                "step %2d  mean reward %.3f  kl %.3f%n",
                t.stepCount(), stats.get("objective/scores"), stats.get("objective/kl"));
          });
      return new Result(List.copyOf(meanRewards));
    }
  }

  /** {@code n} prompts of 4 random token ids. */
  static List<long[]> randomPrompts(int n, int vocabSize, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<long[]> prompts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      prompts.add(rng.longs(4, 0, vocabSize).toArray());
    }
    return prompts;
  }
}
