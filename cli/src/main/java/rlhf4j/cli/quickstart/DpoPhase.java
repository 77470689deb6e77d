package rlhf4j.cli.quickstart;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import rlhf4j.cli.quickstart.SentimentGrammar.Pair;
import rlhf4j.cli.quickstart.SyntheticLabeller.LabelledPair;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.optim.AdamW;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.policy.optim.LrSchedule;
import rlhf4j.policy.optim.Warmup;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.MetricsWriter;
import rlhf4j.policy.train.ProgressReporter;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.ppo.dpo.DpoConfig;
import rlhf4j.ppo.dpo.DpoPair;
import rlhf4j.ppo.dpo.DpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;

/**
 * Quickstart phase 5 with DPO ({@code --algorithm dpo}): LoRA adapters on the SFT model trained on
 * the very preference pairs the reward model learnt from ({@link SyntheticLabeller}, the same
 * seed), the reference being the model with adapters off. No rollouts and no reward model: the
 * reward model phase still runs and its accuracy is reported, for comparison. Writes {@code
 * metrics.jsonl} (TRL's DPO keys).
 */
final class DpoPhase {
  private DpoPhase() {}

  static TrainingCurves run(QuickstartContext ctx, LoraModel lora, Tokenizer tokenizer)
      throws IOException {
    return run(ctx, lora, tokenizer, pairs(ctx, tokenizer, ctx.recipe().rewardTrainPairs()));
  }

  /** Phase 5 with DPO on given pairs. */
  static TrainingCurves run(
      QuickstartContext ctx, LoraModel lora, Tokenizer tokenizer, List<DpoPair> pairs)
      throws IOException {
    ctx.beginPhase();
    QuickstartRecipe recipe = ctx.recipe();
    Reporter reporter = ctx.reporter();
    PolicyRecipe<DpoConfig> dpo = ctx.algorithmRecipes().dpo().seeded(ctx.seed(14));
    // HF TrainingArguments' default schedule (TRL's DPOTrainer inherits it): linear decay to 0
    AdamW optimizer =
        new AdamW(
            AdamWConfig.builder().optWeightDecay(0).build(),
            LrSchedule.linear(dpo.config().learningRate(), new Warmup(0, 0.0), dpo.steps()));
    TrainerSetup setup =
        TrainerSetup.builder()
            .optimizer(optimizer)
            .model(lora.model())
            .trainable(lora.trainableParameters())
            .reference(new AdapterSwitchingReference(lora))
            .tokenizer(tokenizer)
            .padId(tokenizer.padId());
    TrainingCurves run = TrainingCurves.empty(QuickstartAlgorithm.DPO);
    double beta = dpo.config().beta();
    long total = dpo.steps();
    GcBarrier barrier = new GcBarrier(4);
    try (AdamW closeOptimizer = optimizer;
        DpoTrainer trainer = new DpoTrainer(setup, dpo.config(), dpo.run());
        ProgressReporter bar = reporter.bar("5/7 dpo", total);
        MetricsWriter metrics = MetricsWriter.create(ctx.out().resolve("metrics.jsonl"))) {
      trainer.train(
          pairs,
          total,
          (t, stats) -> {
            barrier.pass();
            metrics.write(t.stepCount(), new LinkedHashMap<>(stats));
            double chosenLogRatio = stats.get("rewards/chosen") / beta;
            run.steps().add((double) t.stepCount());
            run.scores().add(stats.get("rewards/margins"));
            run.kls().add(chosenLogRatio);
            run.policyLoss().add(stats.get("loss"));
            String line =
                String.format(
                    Locale.ROOT,
                    "loss %.3f  margin %+.2f  accuracy %.2f",
                    stats.get("loss"),
                    stats.get("rewards/margins"),
                    stats.get("rewards/accuracies"));
            bar.update(t.stepCount(), line);
            if (reporter.logStep(t.stepCount(), total)) {
              reporter.log("  dpo step %d/%d %s", t.stepCount(), total, line);
            }
          });
    }
    ctx.endPhase(
        "dpo",
        "5/7 dpo: %d steps x %d pairs (of %d, the reward model's), beta %.2f, LoRA r=%d,"
            + " margin %+.2f -> %+.2f",
        run.size(),
        dpo.run().batchSize(),
        pairs.size(),
        beta,
        recipe.lora().r(),
        run.firstScore(),
        run.lastScore());
    return run;
  }

  /**
   * The reward model's training pairs ({@link RewardModelPhase} draws them with the same labeller
   * and seed), as DPO pairs: BOS + prompt, completion + EOS.
   */
  static List<DpoPair> pairs(QuickstartContext ctx, Tokenizer tokenizer, int n) {
    SyntheticLabeller labeller = new SyntheticLabeller(ctx.grammar());
    List<DpoPair> out = new ArrayList<>(n);
    for (LabelledPair lp : labeller.pairs(n, new Random(ctx.seed(4)))) {
      Pair p = lp.pair();
      out.add(
          new DpoPair(
              Quickstart.promptIds(tokenizer, p.prompt()),
              withEos(tokenizer.encodePlain(p.chosen()), tokenizer.eosId()),
              withEos(tokenizer.encodePlain(p.rejected()), tokenizer.eosId())));
    }
    return out;
  }

  private static long[] withEos(long[] ids, long eos) {
    long[] r = java.util.Arrays.copyOf(ids, ids.length + 1);
    r[ids.length] = eos;
    return r;
  }
}
