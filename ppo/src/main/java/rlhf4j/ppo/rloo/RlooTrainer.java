package rlhf4j.ppo.rloo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.model.Masked;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.model.Scalars;
import rlhf4j.ppo.GroupTrainerBase;
import rlhf4j.ppo.GroupedSteps;
import rlhf4j.ppo.LogProbPass;
import rlhf4j.ppo.MiniBatchUpdate;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.ppo.grpo.RewardAggregation;
import rlhf4j.rollout.GroupedRollout;

/**
 * RLOO as TRL v1.9's {@code RLOOTrainer}: {@code numGenerations} completions per prompt, the
 * weighted reward minus {@code beta} times the sequence-level k1 KL to the reference, the
 * leave-one-out baseline ({@link RlooAdvantages}), and the sequence-level clipped loss ({@link
 * RlooLoss}). No value head. Old log-probs come from a no-gradient pass when {@code beta != 0} (the
 * KL needs them) or {@code numIterations > 1}; the loss uses them only in the second case (else old
 * = current, ratio 1, as TRL). Batching, seeding and checkpoints as {@link
 * rlhf4j.ppo.grpo.GrpoTrainer}.
 */
public final class RlooTrainer extends GroupTrainerBase {
  private final RlooConfig config;
  private final LogProbPass logProbPass; // null when neither old nor reference log-probs are needed

  /**
   * @param setup the policy, trainables, reference (needed iff {@code beta != 0}), rollouts
   * @param config the RLOO hyper-parameters
   * @param run batching and seed; {@code miniBatchSize} must divide {@code batchSize * G}
   */
  public RlooTrainer(TrainerSetup setup, RlooConfig config, RunConfig run) {
    super(setup, run, config, "RLOO");
    this.config = config;
    var reference = setup.reference(withKl(), "beta is " + config.beta());
    this.logProbPass = logProbPass(config.needsOldLogProbs(), reference);
  }

  private boolean withKl() {
    return config.needsReference();
  }

  /**
   * Phases 3 to 7 of an RLOO step on given completions and scores; {@link #train} runs phases 1
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
    checkGroups(rollout, "an RLOO step needs batchSize * numGenerations");
    long start = System.nanoTime();
    seedStep();
    Map<String, Double> stats = new LinkedHashMap<>();
    try (NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope()) {
      // 3. the completion mask, truncated completions zeroed when asked
      ResponseBatch batch =
          GroupedSteps.batch(
              m, rollout.rollout(), padId, eosId(), config.maskTruncatedCompletions());
      NDArray mask = batch.mask(); // (B, T)

      // 4. old log-probs (beta != 0 or mu > 1) and reference log-probs (beta != 0), the rollout
      // source's when it computed them where it generated
      LogProbPass.Result pass =
          logProbPass == null ? null : logProbPass.runOrReuse(m, batch, true, rollout.rollout());
      NDArray oldLogProbs = pass == null ? null : pass.logProbs(); // (B, T) or null

      // 5. KL-penalised rewards and leave-one-out advantages
      double[] weights = config.weights(funcNames.size());
      double[] rewards = RewardAggregation.weightedSum(rewardsPerFunc, weights); // (B)
      RlooAdvantages.Result adv =
          RlooAdvantages.compute(
              rewards,
              withKl() ? GroupedSteps.rows(oldLogProbs) : null,
              withKl() ? GroupedSteps.rows(pass.refLogProbs()) : null,
              GroupedSteps.rows(mask),
              config.beta(),
              config.numGenerations(),
              config.normalizeAdvantages(),
              config.clipRangeOrNull());
      NDArray advantages = m.create(GroupedSteps.floats(adv.advantages())); // (B)
      NDArray oldSequenceLogProbs =
          config.numIterations() > 1 ? RlooLoss.sequenceLogProbs(oldLogProbs, mask) : null; // (B)

      // 6. mu optimizer steps over the generation batch
      Iterations iterations =
          optimize(
              batch,
              config.numIterations(),
              (it, rows, logProbs, logits) ->
                  loss(rows, logProbs, logits, oldSequenceLogProbs, advantages));
      stats.putAll(iterations.stats()); // the last iteration's

      // 7. stats under TRL's names
      stats.putAll(RewardAggregation.metrics(rewardsPerFunc, weights, funcNames, adv.stdZero()));
      if (withKl()) {
        stats.put("kl", adv.kl());
      }
      putStepStats(stats, rollout, pass == null ? 0.0 : pass.seconds(), iterations, start, extra);
    }
    return finishStep(stats);
  }

  /** RLOO's loss of one mini-batch ({@link RlooLoss}), divided for accumulation. */
  private MiniBatchUpdate.Loss loss(
      MiniBatchUpdate.Rows rows,
      NDArray logProbs,
      NDArray logits,
      NDArray oldSequenceLogProbs,
      NDArray advantages) {
    NDArray mask = rows.batch().mask(); // (mb, T)
    NDArray old =
        oldSequenceLogProbs == null
            ? RlooLoss.sequenceLogProbs(logProbs.stopGradient(), mask)
            : oldSequenceLogProbs.get(rows.rows()); // (mb)
    RlooLoss.Result res =
        RlooLoss.compute(
            logProbs,
            old,
            advantages.get(rows.rows()),
            mask,
            config.epsilon(),
            config.epsilonHigh());
    Map<String, Double> stats = new LinkedHashMap<>();
    stats.put("loss", Masked.scalar(res.loss()));
    stats.putAll(res.metrics());
    stats.put("entropy", GroupedSteps.entropy(logits, mask, config.temperature()));
    NDArray loss =
        rows.accumulationSteps() == 1
            ? res.loss()
            : Scalars.div(res.loss(), rows.accumulationSteps());
    return new MiniBatchUpdate.Loss(loss, stats);
  }

  @Override
  public String algorithm() {
    return "rloo";
  }

  @Override
  public RlooConfig config() {
    return config;
  }
}
