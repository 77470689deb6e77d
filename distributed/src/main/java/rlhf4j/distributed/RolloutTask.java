package rlhf4j.distributed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.ppo.RolloutSamples;
import rlhf4j.rollout.Generator;
import rlhf4j.rollout.PromptSeeds;
import rlhf4j.rollout.Rollout;

/**
 * The work of one partition of a step's prompts, on an executor: lease this JVM's policy with the
 * step's adapter, generate with per-prompt seeds ({@link PromptSeeds}: run seed, step, the prompt's
 * index in the step), run the reference (adapters off) over the responses unless not asked for,
 * score them ({@link Scoring}), and pack the rows. Everything that decides the result travels with
 * the task or the broadcast, so a retried task computes the same rows.
 */
final class RolloutTask
    implements Function2<Integer, Iterator<IndexedPrompt>, Iterator<PartitionResult>>,
        Serializable {
  private static final long serialVersionUID = 1L;

  private final BaseModelSpec base;
  private final GenerationSpec generation;
  private final Scoring scoring;
  private final boolean reference;
  private final long seed;
  private final long step;
  private final Broadcast<AdapterPayload> payload;

  RolloutTask(
      BaseModelSpec base,
      GenerationSpec generation,
      Scoring scoring,
      boolean reference,
      long seed,
      long step,
      Broadcast<AdapterPayload> payload) {
    this.base = base;
    this.generation = generation;
    this.scoring = scoring;
    this.reference = reference;
    this.seed = seed;
    this.step = step;
    this.payload = payload;
  }

  @Override
  public Iterator<PartitionResult> call(Integer partition, Iterator<IndexedPrompt> prompts) {
    long t0 = System.nanoTime();
    List<IndexedPrompt> items = new ArrayList<>();
    prompts.forEachRemaining(items::add);
    if (items.isEmpty()) {
      return List.<PartitionResult>of().iterator();
    }
    List<RolloutRow> rows = run(ExecutorPolicy.of(base), payload.value(), items);
    String executor = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
    return List.of(
            new PartitionResult(executor, (System.nanoTime() - t0) / 1e9, RolloutRow.encode(rows)))
        .iterator();
  }

  /** The rows of {@code items}, in their order. */
  List<RolloutRow> run(ExecutorPolicy policy, AdapterPayload adapter, List<IndexedPrompt> items) {
    List<long[]> ids = new ArrayList<>();
    long[] seeds = new long[items.size()];
    for (int i = 0; i < items.size(); i++) {
      ids.add(items.get(i).ids());
      seeds[i] = PromptSeeds.of(seed, step, items.get(i).index());
    }
    Rollout r;
    List<float[]> ref;
    try (ExecutorPolicy.Lease lease = policy.lease(adapter)) {
      Generator g =
          new Generator(
              lease.model(),
              generation.toConfig(),
              lease.valueHead(),
              lease.tokenizer(),
              List.of());
      r = g.generate(ids, seeds, null);
      ref = reference ? referenceLogProbs(lease, r) : null;
      float[][] scores = scoring.score(RolloutSamples.of(r, lease.tokenizer())); // (n, K)
      List<RolloutRow> rows = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        rows.add(
            new RolloutRow(
                items.get(i).index(),
                r.responses().get(i),
                r.logProbs().get(i),
                r.values() == null ? null : r.values().get(i),
                ref == null ? null : ref.get(i),
                scores[i],
                r.endedWithEos()[i],
                r.texts() == null ? null : r.texts().get(i)));
      }
      return rows;
    }
  }

  /** The reference's log-probs of each response, per row, unpadded. */
  private List<float[]> referenceLogProbs(ExecutorPolicy.Lease lease, Rollout r) {
    double temperature = generation.toConfig().sampling().logProbTemperature();
    List<float[]> out = new ArrayList<>();
    try (NoGrad ng = NoGrad.enter();
        NDManager m = NDManager.newBaseManager()) {
      ResponseBatch batch =
          ResponseBatch.of(m, r.queries(), r.responses(), generation.padTokenId());
      NDArray ref =
          lease
              .reference()
              .responseLogProbs(
                  batch.ids(),
                  batch.attentionMask(),
                  batch.queryWidth(),
                  batch.responses(),
                  temperature); // (B, T)
      float[] flat = ref.toFloatArray();
      int width = Math.toIntExact(ref.getShape().get(1));
      for (int i = 0; i < r.size(); i++) {
        float[] row = new float[r.responses().get(i).length];
        System.arraycopy(flat, i * width, row, 0, row.length);
        out.add(row);
      }
    }
    return out;
  }
}
