package rlhf4j.cli.quickstart;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import rlhf4j.cli.quickstart.SentimentGrammar.Pair;
import rlhf4j.cli.quickstart.SyntheticLabeller.LabelledPair;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.tokenizer.BpeModel;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.MetricsWriter;
import rlhf4j.policy.train.ProgressReporter;
import rlhf4j.reward.model.RewardModel;
import rlhf4j.reward.model.RewardTrainer;
import rlhf4j.reward.model.RewardTrainerConfig;
import rlhf4j.reward.model.TokenizedPair;

/**
 * Quickstart phase 4: the reward model, a copy of the SFT model plus a score head, trained on
 * preference pairs from the {@link SyntheticLabeller} and saved to {@code out/reward_model}.
 */
final class RewardModelPhase {
  /**
   * The outcome of phase 4.
   *
   * @param model the trained reward model; the caller closes it
   * @param steps the training steps
   * @param losses the training loss at each step
   * @param accuracy held-out accuracy after the last epoch
   * @param accuracyByKind held-out accuracy per kind of pair
   */
  record Result(
      RewardModel model,
      List<Double> steps,
      List<Double> losses,
      double accuracy,
      Map<String, Double> accuracyByKind)
      implements AutoCloseable {
    /** Closes the model. */
    @Override
    public void close() {
      model.close();
    }
  }

  private RewardModelPhase() {}

  static Result run(QuickstartContext ctx, Tokenizer tokenizer, BpeModel bpe) throws IOException {
    ctx.beginPhase();
    QuickstartRecipe recipe = ctx.recipe();
    Reporter reporter = ctx.reporter();
    SyntheticLabeller labeller = new SyntheticLabeller(ctx.grammar());
    List<TokenizedPair> train = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (LabelledPair lp : labeller.pairs(recipe.rewardTrainPairs(), new Random(ctx.seed(4)))) {
      Pair p = lp.pair();
      seen.add(p.prompt() + p.chosen());
      seen.add(p.prompt() + p.rejected());
      train.add(tokenize(tokenizer, p));
    }
    // held out: pairs with neither sentence seen in training, by kind
    Map<SyntheticLabeller.Kind, List<TokenizedPair>> heldOutByKind = new LinkedHashMap<>();
    List<TokenizedPair> heldOut = new ArrayList<>();
    Random evalRng = new Random(ctx.seed(5));
    for (int tries = 0; heldOut.size() < recipe.rewardEvalPairs() && tries < 100; tries++) {
      for (LabelledPair lp : labeller.pairs(recipe.rewardEvalPairs(), evalRng)) {
        Pair p = lp.pair();
        if (heldOut.size() < recipe.rewardEvalPairs()
            && !seen.contains(p.prompt() + p.chosen())
            && !seen.contains(p.prompt() + p.rejected())) {
          TokenizedPair t = tokenize(tokenizer, p);
          heldOut.add(t);
          heldOutByKind.computeIfAbsent(lp.kind(), k -> new ArrayList<>()).add(t);
        }
      }
    }
    RewardModel model =
        RewardModel.fromBackbone(HfCheckpoint.load(ctx.out().resolve("sft")), ctx.seed(6))
            .optScoreBatchSize(64);
    try {
      RewardTrainerConfig config = recipe.reward().toBuilder().optSeed(ctx.seed(7)).build();
      long total =
          (long) config.epochs() * ((train.size() + config.batchSize() - 1) / config.batchSize());
      List<Double> steps = new ArrayList<>();
      List<Double> losses = new ArrayList<>();
      RewardTrainer.Result result;
      RewardTrainer trainer;
      try (ProgressReporter bar = reporter.bar("4/7 reward", total);
          MetricsWriter metrics =
              MetricsWriter.create(ctx.out().resolve("reward_model_metrics.jsonl"))) {
        trainer = new RewardTrainer(model, config);
        GcBarrier barrier = new GcBarrier(4);
        trainer.addListener(
            (step, m) -> {
              barrier.pass();
              metrics.write(step, m);
              Double loss = m.get("train/loss");
              if (loss == null) {
                return;
              }
              steps.add((double) step);
              losses.add(loss);
              bar.update(
                  step,
                  String.format(Locale.ROOT, "loss %.3f acc %.2f", loss, m.get("train/accuracy")));
              if (reporter.logStep(step, total)) {
                reporter.log(
                    "  reward step %d/%d loss %.3f accuracy %.2f",
                    step, total, loss, m.get("train/accuracy"));
              }
            });
        result = trainer.train(train, heldOut);
      }
      double accuracy = result.eval().accuracy();
      Map<String, Double> accuracyByKind = new LinkedHashMap<>();
      for (Map.Entry<SyntheticLabeller.Kind, List<TokenizedPair>> e : heldOutByKind.entrySet()) {
        accuracyByKind.put(
            e.getKey().name().toLowerCase(Locale.ROOT), trainer.evaluate(e.getValue()).accuracy());
      }
      model.save(ctx.out().resolve("reward_model"));
      bpe.writeTo(ctx.out().resolve("reward_model"));
      ctx.endPhase(
          "reward_model",
          "4/7 reward model: %d pairs (positive > negative, sentence > broken sentence),"
              + " held-out accuracy %.3f on %d unseen pairs %s",
          train.size(),
          accuracy,
          heldOut.size(),
          accuracyByKind);
      return new Result(model, steps, losses, accuracy, accuracyByKind);
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** BOS, prompt, completion, EOS: as the policy's rollouts are scored. */
  private static TokenizedPair tokenize(Tokenizer tokenizer, Pair p) {
    long[] prompt = Quickstart.promptIds(tokenizer, p.prompt());
    return TokenizedPair.of(
        concat(prompt, tokenizer.encodePlain(p.chosen()), tokenizer.eosId()),
        concat(prompt, tokenizer.encodePlain(p.rejected()), tokenizer.eosId()));
  }

  private static long[] concat(long[] a, long[] b, long last) {
    long[] r = new long[a.length + b.length + 1];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    r[r.length - 1] = last;
    return r;
  }
}
