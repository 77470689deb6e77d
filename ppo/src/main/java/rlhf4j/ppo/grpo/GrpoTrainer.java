package rlhf4j.ppo.grpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.model.Masked;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.train.Seeds;
import rlhf4j.ppo.GroupTrainerBase;
import rlhf4j.ppo.GroupedSteps;
import rlhf4j.ppo.LogProbPass;
import rlhf4j.ppo.MiniBatchUpdate;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.ppo.math.Entropy;
import rlhf4j.rollout.GroupedRollout;

/**
 * GRPO as TRL v1.9's {@code GRPOTrainer}: {@code numGenerations} completions per prompt, a weighted
 * sum of reward functions (NaN: no score, advantage 0), group-relative advantages, the clipped
 * token- or sequence-level surrogate with an optional k3 KL term, aggregated by the loss type. No
 * value head. With {@code beta = 0} no reference pass runs at all; old log-probs are recomputed
 * only when {@code numIterations > 1} (else old = current, ratio 1).
 *
 * <p>A step is one generation batch of {@code run.batchSize()} prompts times G completions, and
 * {@code numIterations} optimizer steps over it (mini-batches of {@code run.miniBatchSize()} rows
 * accumulated into each, TRL's default {@code steps_per_generation}). Randomness derives from the
 * run seed and the step ({@link Seeds}), so a checkpoint ({@link rlhf4j.ppo.TrainerCheckpoint})
 * resumes exactly.
 */
public final class GrpoTrainer extends GroupTrainerBase {
  private final GrpoConfig config;
  private final LogProbPass logProbPass; // null when neither old nor reference log-probs are needed

  /**
   * @param setup the policy, trainables, reference (needed iff {@code beta != 0}), rollouts
   * @param config the GRPO hyper-parameters
   * @param run batching and seed; {@code miniBatchSize} must divide {@code batchSize * G}
   */
  public GrpoTrainer(TrainerSetup setup, GrpoConfig config, RunConfig run) {
    super(setup, run, config, "GRPO");
    this.config = config;
    var reference = setup.reference(config.needsReference(), "beta is " + config.beta());
    this.logProbPass = logProbPass(config.needsReference() || config.needsOldLogProbs(), reference);
  }

  /**
   * Phases 3 to 7 of a GRPO step on given completions and scores; {@link #train} runs phases 1
   * (rollout) and 2 (score, weighted by {@code config.rewardWeights()}; NaN = no score) before it.
   *
   * @param rollout G completions per prompt, groups contiguous
   * @param rewardsPerFunc (N, K) scores, NaN where a function gave none
   * @param funcNames (K) the functions' names for the metrics
   * @param extra more statistics to report (timings)
   */
  @Override
  public Map<String, Double> step(
      GroupedRollout rollout,
      double[][] rewardsPerFunc,
      List<String> funcNames,
      Map<String, Double> extra) {
    checkGroups(rollout, "a GRPO step needs batchSize * numGenerations");
    long start = System.nanoTime();
    seedStep();
    Map<String, Double> stats = new LinkedHashMap<>();
    try (NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope()) {
      // 3. group-relative advantages of the weighted rewards (NaN: no score, advantage 0)
      GroupAdvantages.Result adv =
          GroupAdvantages.compute(
              rewardsPerFunc,
              config.weights(funcNames.size()),
              funcNames,
              config.numGenerations(),
              config.scaleRewards(),
              config.multiObjectiveAggregation());
      NDArray advantages = m.create(GroupedSteps.floats(adv.advantages())); // (B)

      // 4. the completion mask, truncated completions zeroed when asked
      ResponseBatch batch =
          GroupedSteps.batch(
              m, rollout.rollout(), padId, eosId(), config.maskTruncatedCompletions());
      NDArray mask = batch.mask(); // (B, T)
      double activeTokens = Masked.scalar(mask.sum());

      // 5. old log-probs (only when mu > 1) and reference log-probs (only when beta != 0), the
      // rollout source's when it computed them where it generated
      LogProbPass.Result pass =
          logProbPass == null
              ? null
              : logProbPass.runOrReuse(m, batch, config.needsOldLogProbs(), rollout.rollout());
      NDArray oldLogProbs = pass == null ? null : pass.logProbs(); // (B, T) or null
      NDArray refLogProbs = pass == null ? null : pass.refLogProbs(); // (B, T) or null

      // 6. mu optimizer steps over the generation batch (their backwards on the gradient
      // source's workers when the update is data-parallel)
      Iterations iterations =
          update.distributed()
              ? optimizeWith(
                  batch,
                  config.numIterations(),
                  it ->
                      GrpoPortableLoss.of(
                          config, oldLogProbs, refLogProbs, advantages, activeTokens, it == 0))
              : optimize(
                  batch,
                  config.numIterations(),
                  (it, rows, logProbs, logits) ->
                      loss(
                          config.lossSettings(),
                          config.temperature(),
                          rows,
                          logProbs,
                          logits,
                          oldLogProbs,
                          refLogProbs,
                          advantages,
                          activeTokens,
                          it == 0));
      stats.putAll(iterations.stats()); // the last iteration's, and the first one's ratio deviation

      // 7. stats under TRL's names
      stats.putAll(adv.metrics());
      putStepStats(stats, rollout, pass == null ? 0.0 : pass.seconds(), iterations, start, extra);
    }
    return finishStep(stats);
  }

  /**
   * GRPO's loss of one mini-batch ({@link GrpoLoss}) and its metrics; the step's arrays are sliced
   * by the mini-batch's rows.
   */
  static MiniBatchUpdate.Loss loss(
      GrpoLoss.Settings settings,
      double temperature,
      MiniBatchUpdate.Rows rows,
      NDArray logProbs,
      NDArray logits,
      NDArray oldLogProbs,
      NDArray refLogProbs,
      NDArray advantages,
      double activeTokens,
      boolean firstIteration) {
    NDArray mask = rows.batch().mask(); // (mb, T)
    NDArray old = oldLogProbs == null ? null : oldLogProbs.get(rows.rows()); // (mb, T)
    NDArray entropies = Entropy.statistic(logits, temperature); // (mb, T), no gradient
    NDArray entropyMask =
        settings.topEntropyQuantile() < 1.0
            ? HighEntropyMask.of(entropies, mask, 1 - settings.topEntropyQuantile())
            : null; // (mb, T)
    GrpoLoss.Result res =
        GrpoLoss.compute(
            logProbs,
            old,
            refLogProbs == null ? null : refLogProbs.get(rows.rows()),
            advantages.get(rows.rows()),
            mask,
            entropyMask,
            settings,
            rows.accumulationSteps(),
            activeTokens);
    Map<String, Double> stats = new LinkedHashMap<>();
    stats.put("loss", res.policyLoss());
    stats.putAll(res.metrics());
    stats.put("entropy", GroupedSteps.maskedMean(entropies, mask));
    if (firstIteration) {
      NDArray reference = old == null ? logProbs.stopGradient() : old;
      stats.put("ratio_max_dev", GroupedSteps.ratioMaxDeviation(logProbs, reference, mask));
    }
    return new MiniBatchUpdate.Loss(res.loss(), stats);
  }

  @Override
  public String algorithm() {
    return "grpo";
  }

  @Override
  public GrpoConfig config() {
    return config;
  }
}
