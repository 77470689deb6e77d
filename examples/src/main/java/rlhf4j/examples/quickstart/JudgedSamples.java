package rlhf4j.examples.quickstart;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import rlhf4j.examples.quickstart.SentimentGrammar.Judgement;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.NoGrad;
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
          Layout l = Layout.of(m, queries.subList(from, to), responseIds.subList(from, to), padId);
          NDArray logProbs =
              TokenLogProbs.gather(
                  model.forwardResponse(l.ids, l.attention, l.queryWidth, false).logits(),
                  l.responses,
                  1.0); // (B, T)
          NDArray refLogProbs;
          try (LoraModel.Restore off = lora.adaptersDisabled()) {
            refLogProbs =
                TokenLogProbs.gather(
                    model.forwardResponse(l.ids, l.attention, l.queryWidth, false).logits(),
                    l.responses,
                    1.0); // (B, T)
          }
          float[] sums = logProbs.sub(refLogProbs).mul(l.mask).sum(new int[] {1}).toFloatArray();
          for (int i = 0; i < sums.length; i++) {
            kl[from + i] = sums[i];
          }
        }
      }
    }
    return kl;
  }

  /** Queries left-padded to width P, responses right-padded after them. */
  private record Layout(
      NDArray ids, NDArray attention, NDArray responses, NDArray mask, int queryWidth) {
    static Layout of(NDManager m, List<long[]> queries, List<long[]> responses, long padId) {
      int b = queries.size();
      int p = 0;
      int t = 0;
      for (int i = 0; i < b; i++) {
        p = Math.max(p, queries.get(i).length);
        t = Math.max(t, responses.get(i).length);
      }
      int s = p + t;
      long[] ids = new long[b * s];
      long[] attention = new long[b * s];
      long[] resp = new long[b * t];
      float[] mask = new float[b * t];
      java.util.Arrays.fill(ids, padId);
      java.util.Arrays.fill(resp, padId);
      for (int i = 0; i < b; i++) {
        long[] q = queries.get(i);
        long[] r = responses.get(i);
        for (int j = 0; j < q.length; j++) {
          ids[i * s + p - q.length + j] = q[j];
          attention[i * s + p - q.length + j] = 1;
        }
        for (int j = 0; j < r.length; j++) {
          ids[i * s + p + j] = r[j];
          attention[i * s + p + j] = 1;
          resp[i * t + j] = r[j];
          mask[i * t + j] = 1;
        }
      }
      return new Layout(
          m.create(ids, new Shape(b, s)), // (B, P + T)
          m.create(attention, new Shape(b, s)), // (B, P + T)
          m.create(resp, new Shape(b, t)), // (B, T)
          m.create(mask, new Shape(b, t)), // (B, T)
          p);
    }
  }
}
