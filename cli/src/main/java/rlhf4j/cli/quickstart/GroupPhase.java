package rlhf4j.cli.quickstart;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.MetricsWriter;
import rlhf4j.policy.train.ProgressReporter;
import rlhf4j.ppo.PolicyTrainer;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.ppo.grpo.GrpoTrainer;
import rlhf4j.ppo.rloo.RlooTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.builtin.MissingEosPenalty;
import rlhf4j.reward.model.RewardModel;

/**
 * Quickstart phase 5 with GRPO or RLOO ({@code --algorithm grpo|rloo}): LoRA adapters on the SFT
 * model, G completions per prompt from the same prompt pool as PPO, scored by the same reward (the
 * reward model less the missing-EOS penalty), no value head; the reference is the model with
 * adapters off. Writes {@code metrics.jsonl} (TRL's GRPO/RLOO keys plus {@code
 * judge/positive_rate}).
 */
final class GroupPhase {
  private GroupPhase() {}

  static TrainingCurves run(
      QuickstartContext ctx, LoraModel lora, RewardModel rewardModel, Tokenizer tokenizer)
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
    TrainerSetup setup =
        TrainerSetup.builder()
            .model(lora.model())
            .trainable(lora.trainableParameters())
            .reference(new AdapterSwitchingReference(lora))
            .generation(PpoPhase.generation(recipe, tokenizer, ctx.seed(10)))
            .tokenizer(tokenizer)
            .padId(tokenizer.padId());
    TrainingCurves run = TrainingCurves.empty(algorithm);
    String label = algorithm.cliName();
    try (Trainer trainer = Trainer.create(algorithm, setup, ctx);
        ProgressReporter bar = reporter.bar("5/7 " + label, trainer.steps());
        MetricsWriter metrics = MetricsWriter.create(ctx.out().resolve("metrics.jsonl"))) {
      long total = trainer.steps();
      trainer.train(
          prompts,
          List.of(reward),
          (t, stats) -> {
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
