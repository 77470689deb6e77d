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
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.MetricsWriter;
import rlhf4j.policy.train.ProgressReporter;
import rlhf4j.ppo.PpoConfig;
import rlhf4j.ppo.PpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.builtin.MissingEosPenalty;
import rlhf4j.reward.model.RewardModel;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutSource;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * Quickstart phase 5: PPO of LoRA adapters on the SFT model against the reward model (less a
 * penalty for a missing EOS), the reference being the same model with adapters off. Writes {@code
 * metrics.jsonl} (TRL's keys plus {@code judge/positive_rate}).
 */
final class PpoPhase {
  private PpoPhase() {}

  static TrainingCurves run(
      QuickstartContext ctx,
      LoraModel lora,
      ValueHead valueHead,
      RewardModel rewardModel,
      Tokenizer tokenizer)
      throws IOException {
    return run(ctx, lora, valueHead, rewardModel, tokenizer, null);
  }

  /**
   * The phase with {@code localRollouts} in place of the trainer's local generator when no Spark
   * master is set (null: the trainer's own; a test passes the per-prompt-seeded local source that
   * Spark's rollouts must equal). Either source's rollouts are judged from their token ids.
   */
  static TrainingCurves run(
      QuickstartContext ctx,
      LoraModel lora,
      ValueHead valueHead,
      RewardModel rewardModel,
      Tokenizer tokenizer,
      RolloutSource localRollouts)
      throws IOException {
    ctx.beginPhase();
    QuickstartRecipe recipe = ctx.recipe();
    Reporter reporter = ctx.reporter();
    SentimentGrammar grammar = ctx.grammar();
    CausalLM policy = lora.model();
    PpoConfig config = recipe.ppo().toBuilder().seed(ctx.seed(10)).build();
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
    // with --spark-master the executors read the SFT model and the reward model from their folders
    SparkRolloutSource spark =
        ctx.options().sparkMaster() == null
            ? null
            : sparkRollouts(ctx, lora, valueHead, tokenizer, config.seed());
    PpoTrainer trainer =
        PpoTrainer.builder()
            .model(policy)
            .trainable(lora.trainableParameters())
            .valueHead(valueHead)
            .reference(new AdapterSwitchingReference(lora))
            .config(config)
            .generation(generation(recipe, tokenizer, ctx.seed(10)))
            .rolloutSource(spark != null ? spark : localRollouts) // null: the local generator
            .tokenizer(tokenizer)
            .padId(tokenizer.padId())
            .build();
    TrainingCurves run = TrainingCurves.empty(QuickstartAlgorithm.PPO);
    long total = recipe.ppoSteps();
    try (SparkRolloutSource closeSpark = spark;
        ProgressReporter bar = reporter.bar("5/7 ppo", total);
        MetricsWriter metrics = MetricsWriter.create(ctx.out().resolve("metrics.jsonl"))) {
      trainer.train(
          prompts,
          reward,
          total,
          (t, rollout, stats) -> {
            if (spark != null || localRollouts != null) { // judged from the ids, as on Spark
              judged[0] = judgedPositive(grammar, tokenizer, rollout);
            }
            if (spark != null) { // the reward ran on the executors
              run.distributed().putAll(spark.lastRolloutStats());
            }
            Map<String, Double> row = new LinkedHashMap<>(stats);
            row.put("judge/positive_rate", judged[0]);
            metrics.write(t.stepCount(), row);
            run.steps().add((double) t.stepCount());
            run.scores().add(stats.get("objective/scores"));
            run.kls().add(stats.get("objective/kl"));
            run.policyLoss().add(stats.get("ppo/loss/policy"));
            run.valueLoss().add(stats.get("ppo/loss/value"));
            run.judgedPositive().add(judged[0]);
            String line =
                String.format(
                    Locale.ROOT,
                    "reward %+.2f  kl %.2f  positive %3.0f%%",
                    stats.get("objective/scores"),
                    stats.get("objective/kl"),
                    100 * judged[0]);
            bar.update(t.stepCount(), line);
            if (reporter.logStep(t.stepCount(), total)) {
              reporter.log("  ppo step %d/%d %s", t.stepCount(), total, line);
            }
          });
    }
    int n = run.steps().size();
    ctx.endPhase(
        "ppo",
        "5/7 ppo: %d steps x %d rollouts, LoRA r=%d on %s, reward %+.2f -> %+.2f, kl %.2f",
        n,
        config.batchSize(),
        recipe.lora().r(),
        lora.adaptedModules(lora.activeAdapter()).size() + " modules",
        run.scores().get(0),
        run.scores().get(n - 1),
        run.kls().get(n - 1));
    return run;
  }

  /** The step's rollouts on Spark: base {@code out/sft}, reward {@link QuickstartReward}. */
  private static SparkRolloutSource sparkRollouts(
      QuickstartContext ctx, LoraModel lora, ValueHead valueHead, Tokenizer tokenizer, long seed) {
    QuickstartRecipe recipe = ctx.recipe();
    Map<String, String> options =
        Map.of(
            "path", ctx.out().resolve("reward_model").toAbsolutePath().toString(),
            "eos", String.valueOf(tokenizer.eosId()),
            "penalty", String.valueOf(recipe.missingEosPenalty()));
    return SparkRolloutSource.builder()
        .master(ctx.options().sparkMaster())
        .base(new BaseModelSpec(ctx.out().resolve("sft").toAbsolutePath().toString()))
        .policy(lora)
        .valueHead(valueHead)
        .generation(generation(recipe, tokenizer, seed))
        .reward(new RewardSpec(QuickstartReward.class.getName(), options))
        .seed(seed)
        .build();
  }

  /** The share of a rollout's (prompt + response) texts the grammar judges positive. */
  private static double judgedPositive(SentimentGrammar grammar, Tokenizer tokenizer, Rollout r) {
    long positive = 0;
    for (int i = 0; i < r.size(); i++) {
      String text =
          tokenizer.decode(r.queries().get(i), true) + tokenizer.decode(r.responses().get(i), true);
      if (grammar.judge(text).isPositive()) {
        positive++;
      }
    }
    return positive / (double) r.size();
  }

  /** Rollout settings of PPO and of the evaluation (which passes its own sampling seed). */
  static GenerationConfig generation(QuickstartRecipe recipe, Tokenizer tokenizer, long seed) {
    return GenerationConfig.builder()
        .maxNewTokens(recipe.maxNewTokens())
        .eosTokenId(tokenizer.eosId())
        .padTokenId(tokenizer.padId())
        .sampling(
            SamplingConfig.builder().temperature(recipe.ppo().temperature()).seed(seed).build())
        .build();
  }
}
