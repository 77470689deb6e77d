package rlhf4j.cli.quickstart;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.sft.SftConfig;
import rlhf4j.policy.sft.SftExample;
import rlhf4j.policy.sft.SftListener;
import rlhf4j.policy.sft.SftSummary;
import rlhf4j.policy.sft.SftTrainer;
import rlhf4j.policy.tokenizer.BpeModel;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.MetricsWriter;
import rlhf4j.policy.train.ProgressReporter;

/** Quickstart phase 3: a tiny GPT-2 trained in full on the corpus, saved to {@code out/sft}. */
final class SftPhase {
  /**
   * The outcome of phase 3.
   *
   * @param model the SFT policy; the caller closes it
   * @param steps the logged steps
   * @param losses the loss at each logged step
   * @param finalLoss the last step's loss
   */
  record Result(CausalLM model, List<Double> steps, List<Double> losses, double finalLoss)
      implements AutoCloseable {
    /** Closes the model. */
    @Override
    public void close() {
      model.close();
    }
  }

  private SftPhase() {}

  static Result run(QuickstartContext ctx, List<String> corpus, Tokenizer tokenizer, BpeModel bpe)
      throws IOException {
    ctx.beginPhase();
    Reporter reporter = ctx.reporter();
    ModelConfig config = modelConfig(ctx.recipe(), tokenizer);
    CausalLM model = CausalLM.random(config, ctx.seed(2));
    try {
      List<SftExample> examples = SftExample.fromTexts(tokenizer, corpus); // text + EOS
      SftConfig sftConfig = ctx.recipe().sft().toBuilder().seed(ctx.seed(3)).build();
      long total = sftConfig.totalSteps(examples.size());
      List<Double> steps = new ArrayList<>();
      List<Double> losses = new ArrayList<>();
      SftSummary summary;
      GcBarrier sftBarrier = new GcBarrier(1); // the listener runs every logEvery steps
      try (ProgressReporter bar = reporter.bar("3/7 sft", total);
          MetricsWriter metrics = MetricsWriter.create(ctx.out().resolve("sft_metrics.jsonl"))) {
        summary =
            new SftTrainer(model, sftConfig)
                .train(
                    examples,
                    (step, loss, lr, tokensPerSecond) -> {
                      sftBarrier.pass();
                      steps.add((double) step);
                      losses.add(loss);
                      metrics.write(step, SftListener.metrics(loss, lr, tokensPerSecond));
                      bar.update(step, String.format(Locale.ROOT, "loss %.3f", loss));
                      if (reporter.logStep(step, total)) {
                        reporter.log("  sft step %d/%d loss %.3f", step, total, loss);
                      }
                    });
      }
      HfCheckpoint.save(model, ctx.out().resolve("sft"));
      bpe.writeTo(ctx.out().resolve("sft"));
      ctx.endPhase(
          "sft",
          "3/7 sft: GPT-2 %d layers x %d wide (%.2fM parameters), %d steps, loss %.2f -> %.2f",
          config.numLayers(),
          config.hiddenSize(),
          model.parameterCount() / 1e6,
          summary.steps(),
          summary.firstLoss(),
          summary.finalLoss());
      return new Result(model, steps, losses, summary.finalLoss());
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
  }

  private static ModelConfig modelConfig(QuickstartRecipe recipe, Tokenizer tokenizer) {
    int eos = tokenizer.eosId();
    int pad = tokenizer.padId();
    int d = recipe.hiddenSize();
    return Presets.gpt2(
            tokenizer.vocabSize(), d, recipe.numLayers(), recipe.numHeads(), recipe.maxPositions())
        .toBuilder()
        .bosTokenId(eos)
        .eosTokenId(eos)
        .padTokenId(pad)
        .build();
  }
}
