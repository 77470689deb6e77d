package rlhf4j.cli.quickstart;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import rlhf4j.distributed.BaseModelSpec;
import rlhf4j.distributed.RewardSpec;
import rlhf4j.distributed.SparkRolloutSource;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.MetricsWriter;
import rlhf4j.policy.train.ProgressReporter;
import rlhf4j.ppo.PolicyTrainer;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.ppo.grpo.GrpoConfig;
import rlhf4j.ppo.grpo.GrpoTrainer;
import rlhf4j.ppo.rloo.RlooConfig;
import rlhf4j.ppo.rloo.RlooTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.builtin.MissingEosPenalty;
import rlhf4j.reward.model.RewardModel;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutSource;

/**
 * Quickstart phase 5 with GRPO or RLOO ({@code --algorithm grpo|rloo}): LoRA adapters on the SFT
 * model, G completions per prompt from the same prompt pool as PPO, scored by the same reward (the
 * reward model less the missing-EOS penalty), no value head; the reference is the model with
 * adapters off. Writes {@code metrics.jsonl} (TRL's GRPO/RLOO keys plus {@code
 * judge/positive_rate}).
 *
 * <p>With {@code --spark-master} the rollouts, their old and reference log-probs and the reward run
 * on Spark executors ({@link SparkRolloutSource}: base {@code out/sft}, reward {@link
 * QuickstartReward} from {@code out/reward_model}); only the adapter is broadcast, and the driver
 * judges each step's completions from the rollout. Each completion then samples from a seed of its
 * own, so the samples differ from the local run's one stream per batch.
 */
final class GroupPhase {
  private GroupPhase() {}

  static TrainingCurves run(
      QuickstartContext ctx, LoraModel lora, RewardModel rewardModel, Tokenizer tokenizer)
      throws IOException {
    return run(ctx, lora, rewardModel, tokenizer, null);
  }

  /**
   * The phase with {@code localRollouts} in place of the trainer's local generator when no Spark
   * master is set (null: the trainer's own; a test passes the per-prompt-seeded local source that
   * Spark's rollouts must equal).
   */
  static TrainingCurves run(
      QuickstartContext ctx,
      LoraModel lora,
      RewardModel rewardModel,
      Tokenizer tokenizer,
      RolloutSource localRollouts)
      throws IOException {
    ctx.beginPhase();
    QuickstartAlgorithm algorithm = ctx.algorithm();
    QuickstartRecipe recipe = ctx.recipe();
    Reporter reporter = ctx.reporter();
    SentimentGrammar grammar = ctx.grammar();
    List<long[]> prompts = new ArrayList<>();
    for (String p : grammar.prompts(recipe.promptPool(), new Random(ctx.seed(11)))) {
      prompts.add(Quickstart.promptIds(tokenizer, p));
    }
    RewardFunction scored =
        MissingEosPenalty.builder(rewardModel)
            .eosId(tokenizer.eosId())
            .penalty(recipe.missingEosPenalty())
            .build();
    double[] judged = new double[1]; // positive rate of the last batch, by the grammar
    GcBarrier barrier = new GcBarrier(1);
    RewardFunction reward =
        RewardFunction.named(
            "reward_model",
            batch -> {
              barrier.pass(); // called between the rollout and the update
              long positive =
                  batch.stream()
                      .filter(s -> grammar.judge(s.prompt() + s.response()).isPositive())
                      .count();
              judged[0] = positive / (double) batch.size();
              return scored.score(batch);
            });
    GenerationConfig generation = PpoPhase.generation(recipe, tokenizer, ctx.seed(10));
    // with --spark-master the executors read the SFT model and the reward model from their folders
    SparkRolloutSource spark =
        ctx.options().sparkMaster() == null
            ? null
            : sparkRollouts(ctx, lora, tokenizer, generation, runSeed(ctx));
    RolloutSource source = spark != null ? spark : localRollouts;
    // the reward runs where the rollouts do: judge the completions here as they arrive
    Judged judging = source == null ? null : new Judged(source, grammar, tokenizer, barrier);
    TrainerSetup setup =
        TrainerSetup.builder()
            .model(lora.model())
            .trainable(lora.trainableParameters())
            .reference(new AdapterSwitchingReference(lora))
            .generation(generation)
            .rolloutSource(judging) // null: the local generator
            .tokenizer(tokenizer)
            .padId(tokenizer.padId());
    TrainingCurves run = TrainingCurves.empty(algorithm);
    String label = algorithm.cliName();
    try (SparkRolloutSource closeSpark = spark;
        Trainer trainer = Trainer.create(algorithm, setup, ctx);
        ProgressReporter bar = reporter.bar("5/7 " + label, trainer.steps());
        MetricsWriter metrics = MetricsWriter.create(ctx.out().resolve("metrics.jsonl"))) {
      long total = trainer.steps();
      trainer.train(
          prompts,
          List.of(reward),
          (t, stats) -> {
            if (judging != null) {
              judged[0] = judging.positiveRate;
            }
            if (spark != null) {
              run.distributed().putAll(spark.lastRolloutStats());
            }
            Map<String, Double> row = new LinkedHashMap<>(stats);
            row.put("judge/positive_rate", judged[0]);
            metrics.write(t.stepCount(), row);
            double kl = stats.getOrDefault("kl", 0.0); // absent only when beta is 0
            run.steps().add((double) t.stepCount());
            run.scores().add(stats.get("reward"));
            run.kls().add(kl);
            run.policyLoss().add(stats.get("loss"));
            run.judgedPositive().add(judged[0]);
            String line =
                String.format(
                    Locale.ROOT,
                    "reward %+.2f  kl %.3f  positive %3.0f%%",
                    stats.get("reward"),
                    kl,
                    100 * judged[0]);
            bar.update(t.stepCount(), line);
            if (reporter.logStep(t.stepCount(), total)) {
              reporter.log("  %s step %d/%d %s", label, t.stepCount(), total, line);
            }
          });
      ctx.endPhase(
          label,
          "5/7 %s: %d steps x %d prompts x G %d, LoRA r=%d, reward %+.2f -> %+.2f, kl %.3f",
          label,
          run.size(),
          trainer.run().batchSize(),
          trainer.groupSize(),
          recipe.lora().r(),
          run.firstScore(),
          run.lastScore(),
          run.lastKl());
    }
    return run;
  }

  /** The run seed of the phase's trainer, which seeds its rollouts (local or on Spark). */
  static long runSeed(QuickstartContext ctx) {
    AlgorithmRecipes recipes = ctx.algorithmRecipes();
    PolicyRecipe<?> r =
        ctx.algorithm() == QuickstartAlgorithm.RLOO ? recipes.rloo() : recipes.grpo();
    return r.seeded(ctx.seed(14)).run().seed();
  }

  /** Whether the trainer takes old or reference log-probs (a KL term, several iterations). */
  private static boolean needsLogProbs(QuickstartContext ctx) {
    AlgorithmRecipes recipes = ctx.algorithmRecipes();
    if (ctx.algorithm() == QuickstartAlgorithm.RLOO) {
      RlooConfig c = recipes.rloo().config();
      return c.beta() != 0.0 || c.numIterations() > 1;
    }
    GrpoConfig c = recipes.grpo().config();
    return c.needsReference() || c.needsOldLogProbs();
  }

  /**
   * The step's rollouts on Spark: base {@code out/sft}, the reward {@link QuickstartReward} as the
   * one reward function, and the reference on the executors when the trainer needs reference or old
   * log-probs.
   */
  private static SparkRolloutSource sparkRollouts(
      QuickstartContext ctx,
      LoraModel lora,
      Tokenizer tokenizer,
      GenerationConfig generation,
      long seed) {
    Map<String, String> options =
        Map.of(
            "path", ctx.out().resolve("reward_model").toAbsolutePath().toString(),
            "eos", String.valueOf(tokenizer.eosId()),
            "penalty", String.valueOf(ctx.recipe().missingEosPenalty()));
    return SparkRolloutSource.builder()
        .master(ctx.options().sparkMaster())
        .base(new BaseModelSpec(ctx.out().resolve("sft").toAbsolutePath().toString()))
        .policy(lora)
        .generation(generation)
        .rewardFuncs(List.of(new RewardSpec(QuickstartReward.class.getName(), options)))
        .reference(needsLogProbs(ctx))
        .seed(seed)
        .build();
  }

  /**
   * A source whose rollouts the grammar judges on arrival (the share of positive prompt + response
   * texts), since the trainer calls no reward here when the rollout carries its scores.
   */
  private static final class Judged implements RolloutSource {
    private final RolloutSource source;
    private final SentimentGrammar grammar;
    private final Tokenizer tokenizer;
    private final GcBarrier barrier;
    double positiveRate;

    Judged(RolloutSource source, SentimentGrammar grammar, Tokenizer tokenizer, GcBarrier barrier) {
      this.source = source;
      this.grammar = grammar;
      this.tokenizer = tokenizer;
      this.barrier = barrier;
    }

    @Override
    public Rollout rollout(List<long[]> prompts, long step) {
      Rollout r = source.rollout(prompts, step);
      if (r.rewardsPerFunc() != null) {
        barrier.pass(); // the reward, which passes it otherwise, runs on the executors
      }
      long positive = 0;
      for (int i = 0; i < r.size(); i++) {
        String text =
            tokenizer.decode(r.queries().get(i), true)
                + tokenizer.decode(r.responses().get(i), true);
        if (grammar.judge(text).isPositive()) {
          positive++;
        }
      }
      positiveRate = positive / (double) r.size();
      return r;
    }

    @Override
    public Map<String, Double> lastRolloutStats() {
      return source.lastRolloutStats();
    }
  }

  /** GRPO's or RLOO's trainer behind one face: both train on prompts and reward functions. */
  private record Trainer(PolicyTrainer trainer, int groupSize, int steps, Train train)
      implements AutoCloseable {
    interface Train {
      void train(
          List<long[]> prompts,
          List<RewardFunction> funcs,
          long total,
          PolicyTrainer.StepCallback afterStep);
    }

    static Trainer create(
        QuickstartAlgorithm algorithm, TrainerSetup setup, QuickstartContext ctx) {
      AlgorithmRecipes recipes = ctx.algorithmRecipes();
      switch (algorithm) {
        case GRPO:
          {
            PolicyRecipe<?> r = recipes.grpo().seeded(ctx.seed(14));
            GrpoTrainer t = new GrpoTrainer(setup, recipes.grpo().config(), r.run());
            return new Trainer(t, t.config().numGenerations(), r.steps(), t::train);
          }
        case RLOO:
          {
            PolicyRecipe<?> r = recipes.rloo().seeded(ctx.seed(14));
            RlooTrainer t = new RlooTrainer(setup, recipes.rloo().config(), r.run());
            return new Trainer(t, t.config().numGenerations(), r.steps(), t::train);
          }
        default:
          throw new IllegalArgumentException("GroupPhase runs GRPO or RLOO, not " + algorithm);
      }
    }

    void train(
        List<long[]> prompts, List<RewardFunction> funcs, PolicyTrainer.StepCallback afterStep) {
      train.train(prompts, funcs, steps, afterStep);
    }

    RunConfig run() {
      return trainer.run();
    }

    @Override
    public void close() {
      trainer.close();
    }
  }
}
