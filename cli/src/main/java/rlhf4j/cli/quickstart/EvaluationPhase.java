package rlhf4j.cli.quickstart;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.rollout.GenerationConfig;

/**
 * Quickstart phase 6: fresh prompts, the SFT policy (adapters off) and the PPO policy sampled with
 * the same seed and judged by the grammar's own sentiment label, and the PPO policy's KL to the
 * reference per sample.
 */
final class EvaluationPhase {
  private static final int EVAL_BATCH = 50;

  /**
   * Both policies' samples on the same fresh prompts, and the PPO policy's KL per sample.
   *
   * @param before the SFT policy's samples
   * @param after the PPO policy's samples
   * @param kl per sample, Σ_t (log π − log π_ref) of the after-sample, in nats
   */
  record Evaluation(JudgedSamples before, JudgedSamples after, double[] kl) {
    /** The mean KL over the samples. */
    double meanKl() {
      double s = 0;
      for (double k : kl) {
        s += k;
      }
      return s / kl.length;
    }
  }

  private EvaluationPhase() {}

  static Evaluation run(QuickstartContext ctx, LoraModel lora, Tokenizer tokenizer) {
    ctx.beginPhase();
    SentimentGrammar grammar = ctx.grammar();
    List<String> prompts = grammar.prompts(ctx.recipe().evalPrompts(), new Random(ctx.seed(12)));
    List<long[]> queries = new ArrayList<>();
    for (String p : prompts) {
      queries.add(Quickstart.promptIds(tokenizer, p));
    }
    // the same sampling seed for both policies: differences come from the policies
    GenerationConfig generation = PpoPhase.generation(ctx.recipe(), tokenizer, ctx.seed(13));
    JudgedSamples before;
    try (LoraModel.Restore off = lora.adaptersDisabled()) {
      before =
          JudgedSamples.generate(
              lora.model(),
              generation,
              prompts,
              queries,
              ids -> tokenizer.decode(ids, true),
              grammar,
              EVAL_BATCH);
    }
    JudgedSamples after =
        JudgedSamples.generate(
            lora.model(),
            generation,
            prompts,
            queries,
            ids -> tokenizer.decode(ids, true),
            grammar,
            EVAL_BATCH);
    Evaluation e =
        new Evaluation(before, after, after.klToReference(lora, tokenizer.padId(), EVAL_BATCH));
    ctx.endPhase(
        "evaluate",
        "6/7 evaluate (%d fresh prompts, judged by the grammar): positive %.2f -> %.2f,"
            + " grammatical %.2f -> %.2f, KL to reference %.2f nats",
        prompts.size(),
        before.positiveRate(),
        after.positiveRate(),
        before.grammaticalRate(),
        after.grammaticalRate(),
        e.meanKl());
    return e;
  }
}
