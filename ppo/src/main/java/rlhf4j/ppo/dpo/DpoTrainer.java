package rlhf4j.ppo.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import rlhf4j.policy.model.Masked;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.model.Scalars;
import rlhf4j.ppo.LogProbPass;
import rlhf4j.ppo.MiniBatchUpdate;
import rlhf4j.ppo.PolicyTrainerBase;
import rlhf4j.ppo.PromptOrder;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TrainerSetup;

/**
 * DPO as TRL v1.9's {@code DPOTrainer}: on {@code {prompt, chosen, rejected}} pairs, the loss of
 * {@code Delta = (logp - logp_ref)(chosen) - (logp - logp_ref)(rejected)} with log-probs summed
 * over completion tokens ({@link DpoLoss}: sigmoid, hinge, ipo, robust) and TRL's {@code rewards/*}
 * and {@code logps/*} metrics. The reference's summed log-probs come from a no-gradient pass each
 * step, or once before training ({@code precomputeRefLogProbs}, TRL's {@code
 * precompute_ref_log_probs}), or from the caller ({@link #step(List, float[])}).
 *
 * <p>A step takes the next {@code run.batchSize()} pairs (a seeded order, reshuffled every pass)
 * and makes one optimizer step; the batch lays each pair out as two rows, chosen then rejected, and
 * mini-batches of {@code run.miniBatchSize()} rows (even) hold whole pairs. Randomness derives from
 * the run seed and the step, so a {@link rlhf4j.ppo.TrainerCheckpoint} resumes exactly.
 */
public final class DpoTrainer extends PolicyTrainerBase {
  private static final double TEMPERATURE = 1.0; // DPO scores the plain distribution

  private final DpoConfig config;
  private final LogProbPass referencePass;
  private final MiniBatchUpdate update;

  /**
   * @param setup the policy, trainables and reference (required)
   * @param config the DPO hyper-parameters
   * @param run pairs per step and rows per mini-batch (even, dividing {@code 2 * batchSize})
   */
  public DpoTrainer(TrainerSetup setup, DpoConfig config, RunConfig run) {
    super(setup, run, Objects.requireNonNull(config, "config").learningRate());
    this.config = config;
    if (run.miniBatchSize() % 2 != 0) {
      throw new IllegalArgumentException(
          "DPO's miniBatchSize counts rows, two per pair, and must be even, got "
              + run.miniBatchSize());
    }
    run.checkDivides(2 * run.batchSize(), "rows (2 * batchSize: chosen and rejected)");
    this.referencePass =
        new LogProbPass(
            model,
            null,
            setup.reference(true, "DPO compares the policy with a reference"),
            run.miniBatchSize(),
            TEMPERATURE);
    this.update = update(setup, TEMPERATURE, "DPO");
  }

  /**
   * Runs DPO steps until {@link #stepCount()} reaches {@code totalSteps}.
   *
   * @param pairs the preference pairs ({@link DpoPair#tokenize})
   * @param totalSteps the step count to stop at (a resumed trainer continues from its step)
   * @param afterStep called after each step; may be null
   */
  public void train(List<DpoPair> pairs, long totalSteps, StepCallback afterStep) {
    List<long[]> indices = new ArrayList<>(pairs.size());
    for (int i = 0; i < pairs.size(); i++) {
      indices.add(new long[] {i});
    }
    PromptOrder order = new PromptOrder(indices, run.batchSize(), run.seed());
    float[] reference = config.precomputeRefLogProbs() ? precomputeReference(pairs) : null;
    while (stepCount() < totalSteps) {
      List<DpoPair> batch = new ArrayList<>(run.batchSize());
      float[] ref = reference == null ? null : new float[2 * run.batchSize()];
      for (long[] index : order.batch(stepCount())) {
        int i = (int) index[0];
        if (ref != null) {
          ref[2 * batch.size()] = reference[2 * i];
          ref[2 * batch.size() + 1] = reference[2 * i + 1];
        }
        batch.add(pairs.get(i));
      }
      Map<String, Double> stats = step(batch, ref);
      if (afterStep != null) {
        afterStep.afterStep(this, stats);
      }
    }
  }

  /**
   * The reference's summed completion log-probs of every pair, chosen then rejected (TRL's {@code
   * precompute_ref_log_probs}). // (2N)
   */
  public float[] precomputeReference(List<DpoPair> pairs) {
    float[] out = new float[2 * pairs.size()];
    for (int start = 0; start < pairs.size(); start += run.batchSize()) {
      List<DpoPair> chunk = pairs.subList(start, Math.min(pairs.size(), start + run.batchSize()));
      try (NDManager m = NDManager.newBaseManager();
          NDScope scope = new NDScope()) {
        float[] sums = referenceSums(m, layout(m, chunk)).toFloatArray(); // (2b)
        System.arraycopy(sums, 0, out, 2 * start, sums.length);
      }
    }
    return out;
  }

  /**
   * One DPO step on {@code batchSize} pairs.
   *
   * @param pairs the step's pairs
   * @param refLogProbs the reference's summed completion log-probs, chosen then rejected per pair
   *     (2B), or null to compute them now
   */
  public Map<String, Double> step(List<DpoPair> pairs, float[] refLogProbs) {
    if (pairs.size() != run.batchSize()) {
      throw new IllegalArgumentException(
          "a DPO step needs batchSize = " + run.batchSize() + " pairs, got " + pairs.size());
    }
    if (refLogProbs != null && refLogProbs.length != 2 * pairs.size()) {
      throw new IllegalArgumentException(
          "refLogProbs needs 2 values per pair (chosen, rejected), got "
              + refLogProbs.length
              + " for "
              + pairs.size()
              + " pairs");
    }
    long start = System.nanoTime();
    seedStep();
    Map<String, Double> stats = new LinkedHashMap<>();
    try (NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope()) {
      // 1. the batch: each pair as two rows, chosen then rejected
      ResponseBatch batch = layout(m, pairs);

      // 2. the reference's summed completion log-probs (given, or one no-gradient pass)
      long t0 = System.nanoTime();
      NDArray ref = refLogProbs != null ? m.create(refLogProbs) : referenceSums(m, batch); // (2B)
      double refSeconds = (System.nanoTime() - t0) / 1e9;

      // 3. one optimizer step over the pairs, mini-batches of whole pairs
      long t1 = System.nanoTime();
      double lr = optimizer.learningRate(); // this step's, as TRL logs it
      stats.putAll(
          update.step(batch, (rows, logProbs, logits) -> loss(rows, logProbs, ref), where(0)));

      // 4. stats
      stats.put("learning_rate", lr);
      stats.put("time/ref_forward", refSeconds);
      stats.put("time/optimize", (System.nanoTime() - t1) / 1e9);
      stats.put("time/total", (System.nanoTime() - start) / 1e9);
    }
    return finishStep(stats);
  }

  /** DPO's loss of one mini-batch of whole pairs, divided for accumulation. */
  private MiniBatchUpdate.Loss loss(MiniBatchUpdate.Rows rows, NDArray logProbs, NDArray refSums) {
    NDArray mask = rows.batch().mask(); // (mb, T)
    NDArray sums = DpoLoss.sequenceLogProbs(logProbs, mask); // (mb)
    NDArray ref = refSums.get(rows.rows()); // (mb)
    NDArray lengths = mask.sum(new int[] {1}); // (mb)
    DpoLoss.Result res =
        DpoLoss.compute(
            chosen(sums),
            rejected(sums),
            chosen(ref),
            rejected(ref),
            chosen(lengths),
            rejected(lengths),
            config);
    Map<String, Double> stats = new LinkedHashMap<>();
    stats.put("loss", Masked.scalar(res.loss()));
    stats.putAll(res.metrics());
    int ga = rows.accumulationSteps();
    return new MiniBatchUpdate.Loss(ga == 1 ? res.loss() : Scalars.div(res.loss(), ga), stats);
  }

  /** The even rows (chosen) of a per-row vector. // (mb / 2) */
  private static NDArray chosen(NDArray perRow) {
    return perRow.reshape(-1, 2).get(":, 0");
  }

  /** The odd rows (rejected) of a per-row vector. // (mb / 2) */
  private static NDArray rejected(NDArray perRow) {
    return perRow.reshape(-1, 2).get(":, 1");
  }

  /** The reference's summed completion log-probs of every row. // (2B) */
  private NDArray referenceSums(NDManager m, ResponseBatch batch) {
    NDArray perToken = referencePass.run(m, batch, false, false).refLogProbs(); // (2B, T)
    return DpoLoss.sequenceLogProbs(perToken, batch.mask()); // (2B)
  }

  /** Rows chosen_0, rejected_0, chosen_1, ...: prompts left-padded, completions right-padded. */
  private ResponseBatch layout(NDManager m, List<DpoPair> pairs) {
    List<long[]> queries = new ArrayList<>(2 * pairs.size());
    List<long[]> responses = new ArrayList<>(2 * pairs.size());
    for (DpoPair p : pairs) {
      queries.add(p.prompt());
      responses.add(p.chosen());
      queries.add(p.prompt());
      responses.add(p.rejected());
    }
    return ResponseBatch.of(m, queries, responses, padId);
  }

  @Override
  public String algorithm() {
    return "dpo";
  }

  @Override
  public DpoConfig config() {
    return config;
  }
}
