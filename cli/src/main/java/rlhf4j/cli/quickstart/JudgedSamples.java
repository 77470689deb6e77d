package rlhf4j.cli.quickstart;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import rlhf4j.cli.quickstart.SentimentGrammar.Judgement;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.model.TokenLogProbs;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Generator;
import rlhf4j.rollout.Rollout;

/**
 * One policy's samples on fixed prompts, judged by the grammar (the independent judge: it knows
 * each sentence's true sentiment and never sees the reward model).
 *
 * @param prompts prompt texts
 * @param responses decoded responses (special tokens dropped)
 * @param queries prompt ids
 * @param responseIds response ids (ending with EOS when the row finished)
 * @param judgements the grammar's verdict on {@code prompt + response}
 */
record JudgedSamples(
    List<String> prompts,
    List<String> responses,
    List<long[]> queries,
    List<long[]> responseIds,
    List<Judgement> judgements) {

  /** Samples {@code model} (as its adapters are switched now) on every prompt, in batches. */
  static JudgedSamples generate(
      CausalLM model,
      GenerationConfig generation,
      List<String> prompts,
      List<long[]> queries,
      Function<long[], String> decode,
      SentimentGrammar grammar,
      int batchSize) {
    List<String> responses = new ArrayList<>();
    List<long[]> ids = new ArrayList<>();
    List<Judgement> judgements = new ArrayList<>();
    for (int from = 0; from < queries.size(); from += batchSize) {
      int to = Math.min(queries.size(), from + batchSize);
      GenerationConfig g =
          generation.toBuilder()
              .sampling(
                  generation.sampling().toBuilder()
                      .seed(generation.sampling().seed() + from)
                      .build())
              .build();
      Rollout r = new Generator(model, g).generate(queries.subList(from, to));
      for (int i = 0; i < r.size(); i++) {
        long[] resp = r.responses().get(i);
        String text = decode.apply(resp);
        ids.add(resp);
        responses.add(text);
        judgements.add(grammar.judge(prompts.get(from + i) + text));
      }
    }
    return new JudgedSamples(
        List.copyOf(prompts), responses, List.copyOf(queries), ids, judgements);
  }

  /** Fraction of grammatical positive sentences. */
  double positiveRate() {
    return judgements.stream().filter(Judgement::isPositive).count() / (double) judgements.size();
  }

  /** Fraction of grammatical sentences. */
  double grammaticalRate() {
    return judgements.stream().filter(Judgement::grammatical).count() / (double) judgements.size();
  }

  /** {@code prompt + response}, whitespace as generated. */
  String text(int i) {
    return prompts.get(i) + responses.get(i);
  }

  /**
   * Per sample, the KL estimate Σ_t (log π(y_t) − log π_ref(y_t)) of its response at temperature 1,
   * where π is {@code lora}'s model with adapters on and π_ref the same model with adapters off. On
   * samples drawn from π its mean estimates KL(π ‖ π_ref) per sequence, in nats.
   */
  double[] klToReference(LoraModel lora, long padId, int batchSize) {
    CausalLM model = lora.model();
    int n = queries.size();
    double[] kl = new double[n];
    try (NoGrad ng = NoGrad.enter();
        NDManager m = NDManager.newBaseManager()) {
      for (int from = 0; from < n; from += batchSize) {
        int to = Math.min(n, from + batchSize);
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          ResponseBatch l =
              ResponseBatch.of(m, queries.subList(from, to), responseIds.subList(from, to), padId);
          NDArray logProbs =
              TokenLogProbs.gather(
                  model.forwardResponse(l.ids(), l.attentionMask(), l.queryWidth(), false).logits(),
                  l.responses(),
                  1.0); // (B, T)
          NDArray refLogProbs;
          try (LoraModel.Restore off = lora.adaptersDisabled()) {
            refLogProbs =
                TokenLogProbs.gather(
                    model
                        .forwardResponse(l.ids(), l.attentionMask(), l.queryWidth(), false)
                        .logits(),
                    l.responses(),
                    1.0); // (B, T)
          }
          float[] sums = logProbs.sub(refLogProbs).mul(l.mask()).sum(new int[] {1}).toFloatArray();
          for (int i = 0; i < sums.length; i++) {
            kl[from + i] = sums[i];
          }
        }
      }
    }
    return kl;
  }
}
