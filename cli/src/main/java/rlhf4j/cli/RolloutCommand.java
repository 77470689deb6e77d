package rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;
import rlhf4j.distributed.SparkGradientSource;
import rlhf4j.distributed.SparkRolloutSource;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.ppo.GroupTrainerBase;
import rlhf4j.ppo.PolicyTrainer;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunctions;
import rlhf4j.rollout.GenerationConfig;

/**
 * What {@code rlhf4j grpo} and {@code rloo} share: prompts, rollouts (here, or on Spark with {@code
 * --spark-master}) and reward functions.
 */
abstract class RolloutCommand extends PolicyCommand {
  @Option(
      names = "--spark-master",
      paramLabel = "URL",
      description =
          "run the rollouts (the G completions of every prompt, their old and reference log-probs"
              + " and every reward function) on Spark: local[N], or spark://HOST:PORT of a cluster"
              + " started with `rlhf4j spark master|worker`; executors read the base from"
              + " model.dir (a preset is saved to OUTPUT_DIR/base-model) and only the adapter"
              + " travels per step. Completions are then seeded one by one, so the samples differ"
              + " from a local run (resume a run the way it started). The executors' reference is"
              + " the base with adapters off: not with lora.adapter when beta is not 0")
  String sparkMaster;

  private SparkRolloutSource spark; // open while a --spark-master run trains

  /**
   * Whether the update runs data-parallel on the Spark executors ({@code grpo --spark-update});
   * false for the commands without that option.
   */
  boolean sparkUpdate() {
    return false;
  }

  /** Whether the trainer needs reference log-probs (its KL term). */
  abstract boolean usesReference(Context c);

  /** Whether the trainer needs old log-probs (several iterations, or RLOO's KL). */
  abstract boolean usesOldLogProbs(Context c);

  /** The trainer's sampling temperature. */
  abstract double temperature(Context c);

  /** Runs the trainer (a {@link GroupTrainerBase}) on the prompts with the reward functions. */
  void train(
      PolicyTrainer trainer,
      List<long[]> prompts,
      List<RewardFunction> funcs,
      long totalSteps,
      PolicyTrainer.StepCallback afterStep) {
    ((GroupTrainerBase) trainer).train(prompts, funcs, totalSteps, afterStep);
  }

  /** Mean reward and its group std, the loss and the whole step's seconds. */
  @Override
  String progress(Map<String, Double> stats) {
    return format(
        "reward %.4f  reward_std %.4f  loss %.4f  %.1f s",
        stats.get("reward"),
        stats.get("reward_std"),
        stats.getOrDefault("loss", Double.NaN),
        stats.get("time/total") + stats.get("time/rollout") + stats.get("time/reward"));
  }

  /** The rollout settings of the config at the trainer's temperature. */
  GenerationConfig generation(Context c) {
    return PpoCommand.generation(c.config().generation(), temperature(c), c.model(), c.tokenizer());
  }

  /**
   * {@code setup} with the run's rollouts: the local generator, or with {@code --spark-master} a
   * Spark source (closed when the command ends) that scores with the config's reward functions and
   * runs the reference on the executors when the trainer needs reference or old log-probs. A resume
   * that would switch between the two (they seed differently) is refused ({@link RolloutSeeds}).
   */
  TrainerSetup withRollouts(Context c, TrainerSetup setup) throws IOException {
    if (sparkUpdate()) {
      checkSparkUpdate(c);
    }
    RolloutSeeds.checkOrRecord(c.runDir(), resume, sparkMaster);
    GenerationConfig generation = generation(c);
    setup.generation(generation).padId(generation.padTokenId());
    if (sparkMaster == null) {
      return setup;
    }
    SparkRollouts.requireFp32Base(c.config().model());
    if (c.config().adapter() != null && usesReference(c)) {
      throw new IllegalArgumentException(
          "--spark-master: the executors compute the reference as the base with adapters off,"
              + " but lora.adapter "
              + c.config().adapter()
              + " makes the reference that adapter's frozen copy; set beta to 0, or run without"
              + " --spark-master");
    }
    String dir = c.config().model().dir();
    spark =
        SparkRollouts.openGrouped(
            sparkMaster,
            dir == null ? null : Path.of(dir),
            c.model(),
            c.runDir(),
            c.policy(),
            generation,
            c.config().rewardFuncs(),
            usesReference(c) || usesOldLogProbs(c),
            c.config().batching().seed());
    setup.rolloutSource(spark);
    if (sparkUpdate()) {
      setup.gradientSource(
          new SparkGradientSource(spark.sparkContext(), spark.base(), c.policy(), 0));
    }
    return setup;
  }

  /**
   * Refuses {@code --spark-update} without {@code --spark-master}, and with adapter dropout (the
   * executors would draw other masks than this process, so the update would not be the
   * single-process one).
   */
  private void checkSparkUpdate(Context c) {
    if (sparkMaster == null) {
      throw new IllegalArgumentException(
          "--spark-update runs the update on the Spark executors: give --spark-master URL too"
              + " (local[N] or spark://HOST:PORT)");
    }
    double dropout = c.config().lora().loraDropout();
    if (dropout != 0) {
      throw new IllegalArgumentException(
          "--spark-update needs lora.lora_dropout 0, got "
              + dropout
              + ": the executors would draw other dropout masks than a single-process update;"
              + " set lora.lora_dropout: 0 or run without --spark-update");
    }
  }

  /** Runs the command, then stops the Spark context of a {@code --spark-master} run. */
  @Override
  public Integer call() throws Exception {
    try {
      return super.call();
    } finally {
      if (spark != null) {
        spark.close();
        spark = null;
      }
    }
  }

  @Override
  final void train(
      Context c, PolicyTrainer trainer, long totalSteps, PolicyTrainer.StepCallback afterStep)
      throws IOException {
    Tokenizer tokenizer = c.tokenizer();
    List<long[]> prompts =
        PpoCommand.prompts(c.config().prompts(), tokenizer, c.model().config().vocabSize());
    List<RewardFunction> loaded = new ArrayList<>();
    List<RewardFunction> funcs = new ArrayList<>();
    try {
      for (PpoRunConfig.Reward r : c.config().rewardFuncs()) {
        if (spark != null) { // built and run by the executors: only the name is needed here
          funcs.add(SparkRollouts.onExecutors(r.name()));
          continue;
        }
        RewardFunction f = RewardFunctions.load(r.name(), r.options());
        loaded.add(f);
        funcs.add(RewardFunction.named(r.name(), f));
      }
      train(trainer, prompts, funcs, totalSteps, afterStep);
      if (spark != null) {
        spec.commandLine().getOut().println(SparkRollouts.summary(spark));
      }
    } finally {
      // a reward model or an HTTP client is released when the run ends
      for (RewardFunction f : loaded) {
        if (f instanceof AutoCloseable a) {
          try {
            a.close();
          } catch (Exception e) {
            throw new IOException("cannot close reward " + f.name(), e);
          }
        }
      }
    }
  }
}
