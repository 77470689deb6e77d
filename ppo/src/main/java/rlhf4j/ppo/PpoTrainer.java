package rlhf4j.ppo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.Masked;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.optim.AdamW;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.policy.optim.LrSchedule;
import rlhf4j.policy.optim.Optimizer;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.Seeds;
import rlhf4j.ppo.math.Gae;
import rlhf4j.ppo.math.KlPenalty;
import rlhf4j.ppo.math.PpoStats;
import rlhf4j.ppo.math.Rewards;
import rlhf4j.reference.ReferenceModel;
import rlhf4j.reward.GuardedReward;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.norm.RunningMoments;
import rlhf4j.reward.norm.ScoreTransform;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutSource;

/**
 * PPO for language models in the manner of TRL's classic {@code PPOTrainer}: per-token KL penalty
 * against a reference policy, GAE, clipped policy and value losses, updates of the trainable
 * parameters only (LoRA adapters and the value head, or whatever the caller marks trainable).
 *
 * <p>Two ways in: {@link #step} for callers who generate and score themselves (TRL's {@code
 * step(queries, responses, scores)}, phases 3 to 7), and {@link #train} for the whole loop, which
 * gets its rollouts from a {@link RolloutSource} (by default the local generator).
 *
 * <p>Randomness is derived from {@code config.seed()} and the step number ({@link Seeds}: prompt
 * order, sampling, mini-batch order, adapter dropout), so a run restored from its {@link State} and
 * weights continues exactly like an uninterrupted one. Close the trainer to free the optimizer it
 * built.
 */
public final class PpoTrainer implements AutoCloseable {
  private final CausalLM model;
  private final Map<String, NDArray> trainable;
  private final ValueHead valueHead;
  private final PpoConfig config;
  private final Optimizer optimizer;
  private final boolean ownsOptimizer;
  private final KlController klController;
  private ScoreTransform scoreTransform; // null without score scaling; replaced on restore
  private final List<StatsListener> listeners;
  private final RolloutSource rollouts; // null: only step() can be used
  private final Tokenizer tokenizer;
  private final long padId;
  private final LogProbPass logProbPass;
  private final PpoUpdate update;
  private long step;

  /**
   * What a trainer carries from step to step besides its weights and optimizer: what a checkpoint
   * saves and {@link #restore} puts back.
   *
   * @param step completed steps (also the counter of every seed)
   * @param klCoef the KL controller's coefficient ({@link KlController#exportState()})
   * @param scoreMoments the running score moments, or null without score scaling
   */
  public record State(long step, double klCoef, RunningMoments.State scoreMoments) {
    /** Validates the step and the coefficient. */
    public State {
      if (step < 0) {
        throw new IllegalArgumentException("step must be >= 0, got " + step);
      }
      if (!(klCoef >= 0) || Double.isInfinite(klCoef)) {
        throw new IllegalArgumentException("klCoef must be finite and >= 0, got " + klCoef);
      }
    }
  }

  PpoTrainer(PpoTrainerBuilder b) {
    this.model = Objects.requireNonNull(b.model, "model");
    this.valueHead = Objects.requireNonNull(b.valueHead, "valueHead");
    ReferenceModel reference = Objects.requireNonNull(b.reference, "reference");
    this.config = Objects.requireNonNull(b.config, "config");
    this.trainable = b.trainableWithValueHead();
    this.ownsOptimizer = b.optimizer == null;
    this.optimizer =
        b.optimizer != null
            ? b.optimizer
            // TRL classic: torch.optim.Adam(lr), no weight decay
            : new AdamW(AdamWConfig.adam(), LrSchedule.constant(config.learningRate()));
    this.klController = KlController.of(config);
    this.scoreTransform = config.scoreTransform().map(ScoreTransform::new).orElse(null);
    this.listeners = List.copyOf(b.listeners);
    this.tokenizer = b.tokenizer;
    this.padId = b.padId >= 0 ? b.padId : Math.max(0, model.config().eosTokenId());
    this.rollouts = b.rollouts();
    this.logProbPass =
        new LogProbPass(model, valueHead, reference, config.miniBatchSize(), config.temperature());
    this.update =
        new PpoUpdate(model, valueHead, trainable, optimizer, config, b.gradientCheckpointing);
  }

  /** A builder: the policy model, its trainable parameters, a value head and a reference. */
  public static PpoTrainerBuilder builder() {
    return new PpoTrainerBuilder();
  }

  // ------------------------------------------------------------------ the full loop

  /**
   * Runs PPO steps until {@link #stepCount()} reaches {@code totalSteps}: each step takes the next
   * {@code batchSize} prompts (reshuffled every pass, seeded), gets their rollouts from the rollout
   * source, scores them (unless the source brought scores, as a distributed one does: then {@code
   * reward} is not called) and calls {@link #step}.
   *
   * @param prompts token-id prompts
   * @param reward scores (prompt, response) pairs; guarded against NaN, wrong counts and errors
   * @param totalSteps the step count to stop at (a resumed trainer continues from its step)
   * @param afterStep called after each step (e.g. to checkpoint); may be null
   */
  public void train(
      List<long[]> prompts, RewardFunction reward, long totalSteps, StepCallback afterStep) {
    if (rollouts == null) {
      throw new IllegalStateException(
          "train needs rollouts: set Builder.generation (the local generator) or"
              + " Builder.rolloutSource");
    }
    PromptOrder order = new PromptOrder(prompts, config.batchSize(), config.seed());
    RewardFunction guarded = GuardedReward.of(reward);
    while (step < totalSteps) {
      // 1. rollout: the step's prompts, answered by the current policy
      List<long[]> batch = order.batch(step);
      long t0 = System.nanoTime();
      Rollout rollout = rollouts.rollout(batch, step);
      double rolloutSeconds = (System.nanoTime() - t0) / 1e9;
      // 2. score: one scalar per (prompt, response); a source that scored where it generated
      // (a distributed one) brings the scores along
      long t1 = System.nanoTime();
      float[] scores =
          rollout.scores() != null
              ? rollout.scores()
              : guarded.score(RolloutSamples.of(rollout, tokenizer));
      Map<String, Double> extra = new LinkedHashMap<>();
      extra.put("time/ppo/rollout", rolloutSeconds);
      extra.put("time/ppo/reward", (System.nanoTime() - t1) / 1e9);
      extra.put("tokens/rollout_per_s", rollout.responseTokens() / rolloutSeconds);
      extra.putAll(rollouts.lastRolloutStats());
      Map<String, Double> stats =
          step(rollout.queries(), rollout.responses(), scores, extra, rollout);
      if (afterStep != null) {
        afterStep.afterStep(this, rollout, stats);
      }
    }
  }

  /** Called after each step of {@link #train}. */
  @FunctionalInterface
  public interface StepCallback {
    void afterStep(PpoTrainer trainer, Rollout rollout, Map<String, Double> stats);
  }

  // ------------------------------------------------------------------ one step (TRL API)

  /** TRL's {@code step(queries, responses, scores)}: one PPO update on given rollouts. */
  public Map<String, Double> step(List<long[]> queries, List<long[]> responses, float[] scores) {
    return step(queries, responses, scores, Map.of(), null);
  }

  /**
   * Phases 3 to 7 of a PPO step. With {@code rollout} (from {@link #train}) whose values are set,
   * its recorded log-probs and values are the old policy's (equal to a recomputation within float
   * rounding, tested to 1e-5), so phase 3 runs only the reference; without it (TRL's step API, or
   * the "full" KL penalty, which needs whole distributions) the policy runs too.
   */
  private Map<String, Double> step(
      List<long[]> queries,
      List<long[]> responses,
      float[] rawScores,
      Map<String, Double> extra,
      Rollout rollout) {
    StepInputs.check(queries, responses, rawScores, config.batchSize());
    long start = System.nanoTime();
    Engine.getInstance().setRandomSeed((int) Seeds.mix(config.seed(), step, Seeds.DROPOUT));
    // the scores scaled and clipped, as TRL's step does first (running moments: useScoreScaling)
    float[] scores = scoreTransform == null ? rawScores.clone() : scoreTransform.apply(rawScores);
    Map<String, Double> stats;
    try (NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope()) {
      ResponseBatch batch = ResponseBatch.of(m, queries, responses, padId);
      NDArray mask = batch.mask(); // (B, T)
      boolean full = config.klPenalty() == KlPenalty.FULL;

      // 3. old log-probs and values (the rollout's own when it has them), reference log-probs
      boolean reuse = rollout != null && !full && rollout.values() != null;
      LogProbPass.Result pass =
          reuse && rollout.refLogProbs() != null
              ? sourcePass(m, batch, rollout) // the source ran the reference too
              : logProbPass.run(m, batch, !reuse, full);
      NDArray oldLogProbs =
          reuse ? batch.perToken(m, rollout.logProbs()) : pass.logProbs(); // (B, T)
      NDArray values = reuse ? batch.perToken(m, rollout.values()) : pass.values(); // (B, T)

      // 4. per-token rewards: -klCoef * KL on every token, the (scaled) score on the last one
      double klCoef = klController.value();
      NDArray scoreArr = m.create(scores); // (B)
      NDArray logProbs = full ? pass.fullLogProbs() : oldLogProbs; // (B, T) or (B, T, V)
      NDArray refLogProbs = full ? pass.fullRefLogProbs() : pass.refLogProbs(); // likewise
      Rewards.Result rewards =
          Rewards.compute(scoreArr, logProbs, refLogProbs, mask, klCoef, config.klPenalty());

      // 5. GAE, returns, advantage whitening
      Gae.Result gae =
          Gae.compute(
              values,
              rewards.rewards(),
              mask,
              config.gamma(),
              config.lam(),
              config.whitenRewards());

      // 6. epochs x shuffled mini-batches with gradient accumulation
      long updateStart = System.nanoTime();
      Map<String, Double> updateStats = update.run(batch, oldLogProbs, gae, step);
      double updateSeconds = (System.nanoTime() - updateStart) / 1e9;

      // 7. stats and the adaptive KL update
      stats =
          PpoStats.step(
              rewards.kls(), oldLogProbs, rewards.nonScoreRewards(), scoreArr, mask, klCoef);
      stats.putAll(PpoStats.objective(rawScores, oldLogProbs, pass.refLogProbs(), mask));
      stats.putAll(PpoStats.update(updateStats));
      stats.putAll(timings(Masked.scalar(mask.sum()), pass, updateSeconds, start));
      stats.putAll(extra);
      stats.putAll(
          MemoryStats.stats(model.parameterBytes(), bytes(trainable), optimizer.stateBytes()));
      klController.update(stats.get("objective/kl"), config.batchSize());
    }
    step++;
    listeners.forEach(l -> l.onStep(step, stats));
    return stats;
  }

  /** Phase 3 as the rollout source ran it: its reference log-probs, no pass here. */
  private static LogProbPass.Result sourcePass(NDManager m, ResponseBatch batch, Rollout rollout) {
    NDArray refLogProbs = batch.perToken(m, rollout.refLogProbs()); // (B, T)
    return new LogProbPass.Result(null, null, refLogProbs, null, null, 0, 0);
  }

  /** The learning rate, response lengths and timings of a step. */
  private Map<String, Double> timings(
      double responseTokens, LogProbPass.Result pass, double updateSeconds, long start) {
    Map<String, Double> stats = new LinkedHashMap<>();
    stats.put("ppo/learning_rate", optimizer.learningRate());
    stats.put("tokens/responses_len_mean", responseTokens / config.batchSize());
    stats.put("time/ppo/forward_pass", pass.seconds() - pass.refSeconds());
    stats.put("time/ppo/ref_forward", pass.refSeconds());
    stats.put("time/ppo/optimize_step", updateSeconds);
    stats.put("time/ppo/total", (System.nanoTime() - start) / 1e9);
    stats.put("tokens/trained_per_s", responseTokens * config.ppoEpochs() / updateSeconds);
    return stats;
  }

  // ------------------------------------------------------------------ state

  /** The step, KL coefficient and score moments, as a checkpoint saves them. */
  public State state() {
    return new State(
        step,
        klController.exportState(),
        scoreTransform == null ? null : scoreTransform.moments().state());
  }

  /**
   * Puts back a {@link #state()} (checkpoint resume): the step, the KL coefficient and the score
   * moments. Weights and optimizer state are the caller's ({@link PpoCheckpoint#restore}).
   *
   * @throws IllegalArgumentException if the state has score moments and this trainer does not scale
   *     scores, or the other way round
   */
  public void restore(State state) {
    if ((state.scoreMoments() != null) != (scoreTransform != null)) {
      throw new IllegalArgumentException(
          state.scoreMoments() != null
              ? "the state holds score moments but this trainer does not scale scores; set"
                  + " useScoreScaling/scoreClip as in the saved run"
              : "the state holds no score moments but this trainer scales scores; set"
                  + " useScoreScaling false and no scoreClip, as in the saved run");
    }
    klController.importState(state.klCoef());
    if (state.scoreMoments() != null) {
      scoreTransform =
          new ScoreTransform(scoreTransform.config(), new RunningMoments(state.scoreMoments()));
    }
    step = state.step();
  }

  /** Completed steps. */
  public long stepCount() {
    return step;
  }

  public PpoConfig config() {
    return config;
  }

  public CausalLM model() {
    return model;
  }

  public ValueHead valueHead() {
    return valueHead;
  }

  /** Trainable parameters (adapters, then the value head) by name. */
  public Map<String, NDArray> trainableParameters() {
    return trainable;
  }

  public Optimizer optimizer() {
    return optimizer;
  }

  public KlController klController() {
    return klController;
  }

  /** Running score moments, or null without score scaling. */
  public RunningMoments scoreMoments() {
    return scoreTransform == null ? null : scoreTransform.moments();
  }

  /** Frees what this trainer created: the optimizer, unless the builder was given one. */
  @Override
  public void close() {
    if (ownsOptimizer) {
      optimizer.close();
    }
  }

  // ------------------------------------------------------------------ construction

  private static long bytes(Map<String, NDArray> params) {
    long n = 0;
    for (NDArray a : params.values()) {
      n += a.size() * a.getDataType().getNumOfBytes();
    }
    return n;
  }
}
