package rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import rlhf4j.distributed.BaseModelSpec;
import rlhf4j.distributed.RewardSpec;
import rlhf4j.distributed.SparkRolloutSource;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.quant.BaseDtype;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.GenerationConfig;

/**
 * The {@code --spark-master} option of {@code ppo}, {@code grpo}, {@code rloo} and {@code
 * quickstart}: a {@link SparkRolloutSource} whose executors read the base model from a folder (the
 * run's model folder, or a preset saved once under the output folder) and build the run's reward
 * (PPO) or reward functions (GRPO, RLOO) themselves.
 */
final class SparkRollouts {
  /** Sub-folder of the output folder where a preset base is saved for the executors. */
  static final String BASE_MODEL = "base-model";

  private SparkRollouts() {}

  /**
   * PPO's Spark rollout source: the adapter and value head broadcast, one reward.
   *
   * @param master {@code local[N]} or {@code spark://HOST:PORT}
   * @param modelDir the run's HF model folder, or null for a preset (then saved to {@code
   *     outDir/base-model}; a multi-machine cluster needs that folder at the same path everywhere)
   * @param model the base model (before any update; its weights are what executors load)
   * @param rewardName a reward plug-in's short name or class name
   * @param rewardOptions its options; relative paths that exist here are made absolute, since
   *     executors run in their own working folders
   */
  static SparkRolloutSource open(
      String master,
      Path modelDir,
      CausalLM model,
      Path outDir,
      LoraModel policy,
      ValueHead valueHead,
      GenerationConfig generation,
      String rewardName,
      Map<String, String> rewardOptions,
      long seed)
      throws IOException {
    return builder(master, modelDir, model, outDir, policy, generation, seed)
        .valueHead(valueHead)
        .reward(reward(rewardName, rewardOptions))
        .build();
  }

  /**
   * The critic-free trainers' Spark rollout source (GRPO, RLOO): only the adapter broadcast, every
   * reward function built and run on the executors. Arguments as {@link #open}.
   *
   * @param funcs the reward functions, in the trainer's order
   * @param reference whether executors run the reference (needed for the KL or old log-probs)
   */
  static SparkRolloutSource openGrouped(
      String master,
      Path modelDir,
      CausalLM model,
      Path outDir,
      LoraModel policy,
      GenerationConfig generation,
      List<PpoRunConfig.Reward> funcs,
      boolean reference,
      long seed)
      throws IOException {
    List<RewardSpec> specs = new ArrayList<>();
    for (PpoRunConfig.Reward r : funcs) {
      specs.add(reward(r.name(), r.options()));
    }
    return builder(master, modelDir, model, outDir, policy, generation, seed)
        .rewardFuncs(specs)
        .reference(reference)
        .build();
  }

  /** A source's settings but its rewards and value head; saves a preset base for the executors. */
  private static SparkRolloutSource.Builder builder(
      String master,
      Path modelDir,
      CausalLM model,
      Path outDir,
      LoraModel policy,
      GenerationConfig generation,
      long seed)
      throws IOException {
    Path base;
    if (modelDir != null) {
      base = modelDir.toAbsolutePath();
    } else {
      base = outDir.resolve(BASE_MODEL).toAbsolutePath();
      if (!Files.isRegularFile(base.resolve(HfCheckpoint.WEIGHTS))) {
        HfCheckpoint.save(model, base);
      }
    }
    return SparkRolloutSource.builder()
        .master(master)
        .base(new BaseModelSpec(base.toString()))
        .policy(policy)
        .generation(generation)
        .seed(seed);
  }

  /** A reward the executors build; relative paths that exist here are made absolute. */
  private static RewardSpec reward(String name, Map<String, String> rewardOptions) {
    Map<String, String> options = new LinkedHashMap<>();
    rewardOptions.forEach(
        (k, v) -> {
          Path p = v == null || v.isEmpty() || v.contains("://") ? null : Path.of(v);
          options.put(
              k,
              p != null && !p.isAbsolute() && Files.exists(p) ? p.toAbsolutePath().toString() : v);
        });
    return new RewardSpec(name, options);
  }

  /**
   * The driver's stand-in for a reward the executors build and run: it carries the name (for the
   * trainer's metric keys) but loads nothing here (no reward model read, no HTTP client opened),
   * since the trainer takes the scores from the Spark rollout. Called, it fails: a rollout came
   * without its scores.
   */
  static RewardFunction onExecutors(String name) {
    return RewardFunction.named(
        name,
        batch -> {
          throw new IllegalStateException(
              "reward "
                  + name
                  + " runs on the Spark executors, but a rollout reached the driver without its"
                  + " scores");
        });
  }

  /** One line about the last step's traffic, for the end of a run. */
  static String summary(SparkRolloutSource source) {
    SparkRolloutSource.StepStats s = source.lastStep();
    if (s == null) {
      return "rollouts on Spark " + source.sparkContext().master() + ": no step ran";
    }
    return String.format(
        Locale.ROOT,
        "rollouts on Spark %s: %d executor(s), %d partitions, %,d bytes broadcast and %,d returned"
            + " per step",
        source.sparkContext().master(),
        s.executors(),
        s.partitions(),
        s.broadcastBytes(),
        s.returnedBytes());
  }

  /**
   * Refuses a quantised base with Spark: executors load the base in float32, so their rollouts and
   * log-probs would not be those of the driver's int8 or fp16 base.
   */
  static void requireFp32Base(ModelSource model) {
    if (model.baseDtype() != BaseDtype.FP32) {
      throw new IllegalArgumentException(
          "model.base_dtype "
              + model.baseDtype().configName()
              + " with --spark-master is not supported: the executors load the base in fp32, so"
              + " the step would mix two models; remove model.base_dtype or run without"
              + " --spark-master");
    }
  }
}
