package rlhf4j.ppo.reinforce;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
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
import rlhf4j.ppo.math.PpoLoss;
import rlhf4j.reward.RewardException;
import rlhf4j.rollout.GroupedRollout;

/**
 * REINFORCE++ as OpenRLHF v0.11 trains it ({@code --algo.advantage.estimator reinforce} or {@code
 * reinforce_baseline}): {@code samplesPerPrompt} completions per prompt, scores clipped (after the
 * group-mean baseline when asked), per-token rewards {@code -klCoef * k1 KL} plus the score on the
 * last token, discounted returns whitened over all response tokens of the batch ({@link
 * ReinforcePlusPlus}), and the PPO-clip policy loss (token-level masked mean, {@link
 * PpoLoss#policy}). No value head. Old log-probs always come from a no-gradient pass (the KL reward
 * needs them); the reference runs only when {@code klCoef > 0}. Several reward functions are summed
 * (all must score every sample). Batching, seeding and checkpoints as {@link
 * rlhf4j.ppo.grpo.GrpoTrainer}.
 */
public final class ReinforceTrainer extends GroupTrainerBase {
  private final ReinforceConfig config;
  private final LogProbPass logProbPass;

  /**
   * @param setup the policy, trainables, reference (needed iff {@code klCoef > 0}), rollouts
   * @param config the REINFORCE++ hyper-parameters
   * @param run batching and seed; {@code miniBatchSize} must divide {@code batchSize * G}
   */
  public ReinforceTrainer(TrainerSetup setup, ReinforceConfig config, RunConfig run) {
    super(setup, run, config, "REINFORCE++");
    this.config = config;
    var reference = setup.reference(withKl(), "klCoef is " + config.klCoef());
    this.logProbPass = logProbPass(true, reference);
  }

  private boolean withKl() {
    return config.klCoef() > 0;
  }

  /**
   * Phases 3 to 7 of a REINFORCE++ step on given completions and scores; {@link #train} runs phases
   * 1 (rollout) and 2 (score; the functions are summed and every one must score every sample)
   * before it.
   *
   * @param rollout {@code samplesPerPrompt} completions per prompt, groups contiguous
   * @param rewardsPerFunc (N, K) scores
   * @param funcNames (K) the functions' names for the metrics
   * @param extra more statistics to report (timings)
   */
  @Override
  public Map<String, Double> step(
      GroupedRollout rollout,
      double[][] rewardsPerFunc,
      List<String> funcNames,
      Map<String, Double> extra) {
    checkGroups(rollout, "a REINFORCE++ step needs batchSize * samplesPerPrompt");
    double[] ones = new double[funcNames.size()];
    Arrays.fill(ones, 1.0);
    double[] scores = RewardAggregation.weightedSum(rewardsPerFunc, ones); // (B)
    checkScored(scores, funcNames);
    long start = System.nanoTime();
    seedStep();
    Map<String, Double> stats = new LinkedHashMap<>();
    try (NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope()) {
      // 3. the padded batch
      ResponseBatch batch =
          ResponseBatch.of(m, rollout.rollout().queries(), rollout.rollout().responses(), padId);
      NDArray mask = batch.mask(); // (B, T)

      // 4. old log-probs, and reference log-probs when the KL is penalised (the rollout source's
      // when it computed them where it generated)
      LogProbPass.Result pass = logProbPass.runOrReuse(m, batch, true, rollout.rollout());
      NDArray oldLogProbs = pass.logProbs(); // (B, T)
      NDArray refLogProbs = withKl() ? pass.refLogProbs() : oldLogProbs; // (B, T)

      // 5. per-token rewards, returns, global whitening
      ReinforcePlusPlus.Result adv =
          ReinforcePlusPlus.compute(
              scores,
              GroupedSteps.rows(oldLogProbs),
              GroupedSteps.rows(refLogProbs),
              GroupedSteps.rows(mask),
              config);
      NDArray advantages = create(m, adv.advantages()); // (B, T)

      // 6. maxEpochs optimizer steps over the batch
      Iterations epochs =
          optimize(
              batch,
              config.maxEpochs(),
              (epoch, rows, logProbs, logits) ->
                  loss(rows, logProbs, logits, oldLogProbs, advantages));
      stats.putAll(epochs.stats());

      // 7. stats
      stats.putAll(RewardAggregation.metrics(rewardsPerFunc, ones, funcNames, new boolean[0]));
      stats.remove("frac_reward_zero_std");
      stats.put(
          "kl", withKl() ? Masked.scalar(Masked.mean(oldLogProbs.sub(refLogProbs), mask)) : 0);
      stats.put("return/mean", adv.mean());
      putStepStats(stats, rollout, pass.seconds(), epochs, start, extra);
    }
    return finishStep(stats);
  }

  /** The PPO-clip policy loss of one mini-batch, divided for accumulation. */
  private MiniBatchUpdate.Loss loss(
      MiniBatchUpdate.Rows rows,
      NDArray logProbs,
      NDArray logits,
      NDArray oldLogProbs,
      NDArray advantages) {
    NDArray mask = rows.batch().mask(); // (mb, T)
    PpoLoss.Policy res =
        PpoLoss.policy(
            logProbs,
            oldLogProbs.get(rows.rows()),
            advantages.get(rows.rows()),
            mask,
            config.epsClip());
    Map<String, Double> stats = new LinkedHashMap<>();
    stats.put("loss", Masked.scalar(res.pgLoss()));
    stats.put("clip_ratio", Masked.scalar(res.clipFrac()));
    stats.put("entropy", GroupedSteps.entropy(logits, mask, config.temperature()));
    int ga = rows.accumulationSteps();
    NDArray loss = ga == 1 ? res.pgLoss() : Scalars.div(res.pgLoss(), ga);
    return new MiniBatchUpdate.Loss(loss, stats);
  }

  private static void checkScored(double[] scores, List<String> funcNames) {
    for (int i = 0; i < scores.length; i++) {
      if (Double.isNaN(scores[i])) {
        throw new RewardException(
            String.join("+", funcNames),
            "no reward function scored sample "
                + i
                + "; REINFORCE++ needs a score for every sample (only GRPO and RLOO skip"
                + " unscorable ones)");
      }
    }
  }

  private static NDArray create(NDManager m, double[][] rows) {
    int t = rows.length == 0 ? 0 : rows[0].length;
    float[] flat = new float[rows.length * t];
    for (int i = 0; i < rows.length; i++) {
      for (int j = 0; j < t; j++) {
        flat[i * t + j] = (float) rows[i][j];
      }
    }
    return m.create(flat, new Shape(rows.length, t));
  }

  @Override
  public String algorithm() {
    return "reinforce_pp";
  }

  @Override
  public ReinforceConfig config() {
    return config;
  }
}
