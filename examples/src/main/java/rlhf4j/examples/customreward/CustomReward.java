package rlhf4j.examples.customreward;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
import rlhf4j.reward.RewardFunction.Sample;
import rlhf4j.reward.RewardFunctions;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * Loads the plug-in {@link LengthWindowReward} the two ways a config can name it, by class name and
 * by its ServiceLoader short name, checks both score hand-made samples alike, and trains with it
 * for a few PPO steps. Run: {@code CustomReward [steps] [seed]}.
 */
public final class CustomReward {

  /**
   * What a run saw.
   *
   * @param samples the hand-made samples
   * @param byClassName their scores from the reward loaded by class name
   * @param byShortName their scores from the reward loaded by short name
   * @param meanRewards the mean reward of each PPO step
   */
  public record Result(
      List<Sample> samples, float[] byClassName, float[] byShortName, List<Double> meanRewards) {}

  private CustomReward() {}

  public static void main(String[] args) {
    Engines.configure(1); // offline, one intra-op thread
    System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error"); // no GPU
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 4;
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 0;
    Result r = run(steps, seed);
    System.out.println("mean reward per PPO step: " + r.meanRewards());
  }

  /** Hand-made samples: text-only ones (scored by words) and one with token ids. */
  public static List<Sample> handMadeSamples() {
    return List.of(
        Sample.of("describe the room", "the cat sat on the mat"),
        Sample.of("describe the room", "no"),
        Sample.of("describe the room", "a a a a a a a a a a a a a a"),
        Sample.of("describe the room", ""),
        new Sample("", "", new long[] {1, 2}, new long[] {5, 5, 5, 5}));
  }

  /** Loads the reward both ways, compares them, then runs {@code steps} PPO steps with it. */
  public static Result run(int steps, long seed) {
    // 1. the two ways a config names a reward
    RewardFunction byClass = RewardFunctions.load(LengthWindowReward.class.getName());
    RewardFunction byName = RewardFunctions.load(LengthWindowReward.NAME);
    List<Sample> samples = handMadeSamples();
    float[] classScores = byClass.score(samples);
    float[] nameScores = byName.score(samples);
    for (int i = 0; i < samples.size(); i++) {
      System.out.printf(
          "%-34s by class %7.4f  by name %7.4f%n",
          describe(samples.get(i)), classScores[i], nameScores[i]);
    }

    // 2. a short PPO run with the short-name reward, options as a config file would give them
    RewardFunction reward =
        RewardFunctions.load(LengthWindowReward.NAME, Map.of("minTokens", "8", "maxTokens", "16"));
    try (CausalLM model = Presets.create("nano", seed);
        LoraModel policy =
            LoraModel.inject(
                model, LoraConfig.builder().r(4).targetModules(List.of("c_attn")).build(), seed);
        NDManager manager = NDManager.newBaseManager();
        ValueHead valueHead = ValueHead.create(manager, model.config().hiddenSize(), true, seed)) {
      PpoTrainer trainer =
          PpoTrainer.builder()
              .model(model)
              .trainable(policy.trainableParameters())
              .valueHead(valueHead)
              .reference(new AdapterSwitchingReference(policy))
              .config(
                  PpoConfig.builder()
                      .batchSize(8)
                      .miniBatchSize(4)
                      .learningRate(1e-3)
                      .seed(seed)
                      .build())
              .generation(
                  GenerationConfig.builder()
                      .maxNewTokens(12)
                      .sampling(SamplingConfig.ofSeed(seed))
                      .build())
              .build();
      SplittableRandom rng = new SplittableRandom(seed);
      List<long[]> prompts = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        prompts.add(rng.longs(3, 0, model.config().vocabSize()).toArray());
      }
      List<Double> meanRewards = new ArrayList<>();
      trainer.train(
          prompts,
          reward,
          steps,
          (t, rollout, stats) -> {
            meanRewards.add(stats.get("objective/scores"));
            System.out.printf(
                "ppo step %d  mean reward %.4f%n", t.stepCount(), stats.get("objective/scores"));
          });
      return new Result(samples, classScores, nameScores, List.copyOf(meanRewards));
    }
  }

  private static String describe(Sample s) {
    return s.responseLength() > 0
        ? "ids " + Arrays.toString(s.responseIds())
        : "\"" + s.response() + "\"";
  }
}
