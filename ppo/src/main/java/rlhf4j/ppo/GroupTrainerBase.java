package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntFunction;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.reference.ReferenceModel;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.GroupedRollout;
import rlhf4j.rollout.RolloutSource;

/**
 * The plumbing the group-based critic-free trainers (GRPO, RLOO, REINFORCE++) share around their
 * algorithm: G completions per prompt from a rollout source, the {@link GroupedSteps} loop, the
 * optimizer iterations over a generation batch ({@link #optimize}) and the timing and completion
 * statistics every step reports ({@link #putStepStats}). Each trainer's {@code step} keeps its
 * numbered phases and its formulas.
 */
public abstract class GroupTrainerBase extends PolicyTrainerBase {
  /** Completions per prompt (GRPO/RLOO {@code numGenerations}, REINFORCE++ samples per prompt). */
  protected final int groupSize;

  /** The rollout source, or null when none was set ({@code train} then refuses with a hint). */
  protected final RolloutSource rollouts;

  /** The policy's optimizer step over a generation batch. */
  protected final MiniBatchUpdate update;

  private final double temperature;
  private final long eosId;

  /** What the base needs of a group algorithm's config. */
  public interface GroupConfig {
    /** Completions per prompt G. */
    int groupSize();

    /** The sampling temperature of rollouts and log-probs. */
    double temperature();

    /** The default optimizer's step size. */
    double learningRate();
  }

  /** One optimizer iteration's loss of a mini-batch; {@code iteration} counts from 0. */
  @FunctionalInterface
  protected interface IterationLoss {
    MiniBatchUpdate.Loss loss(
        int iteration, MiniBatchUpdate.Rows rows, NDArray logProbs, NDArray logits);
  }

  /**
   * The statistics and wall time of a step's optimizer iterations.
   *
   * @param stats every iteration's statistics put in turn (a key of the last one wins)
   * @param seconds wall time of all iterations
   * @param learningRate the learning rate of the last iteration's optimizer step (TRL logs the rate
   *     a step used)
   */
  protected record Iterations(Map<String, Double> stats, double seconds, double learningRate) {}

  /**
   * @param setup the policy, trainables, reference, rollouts
   * @param run batching and seed; {@code miniBatchSize} must divide {@code batchSize * groupSize}
   * @param config the algorithm's group size, temperature and learning rate
   * @param algorithm the algorithm's display name, for messages ("GRPO")
   */
  protected GroupTrainerBase(
      TrainerSetup setup, RunConfig run, GroupConfig config, String algorithm) {
    super(setup, run, Objects.requireNonNull(config, "config").learningRate());
    this.groupSize = config.groupSize();
    this.temperature = config.temperature();
    run.checkDivides(run.batchSize() * groupSize, "completions (batchSize * G)");
    this.rollouts = setup.rollouts(temperature, run.seed());
    this.eosId = setup.eosId();
    this.update = update(setup, temperature, algorithm);
  }

  /**
   * The no-gradient pass for old and reference log-probs, or null when {@code needed} is false.
   *
   * @param reference the reference policy, or null when none runs
   */
  protected final LogProbPass logProbPass(boolean needed, ReferenceModel reference) {
    return needed
        ? new LogProbPass(model, null, reference, run.miniBatchSize(), temperature)
        : null;
  }

  /**
   * Runs steps until {@link #stepCount()} reaches {@code totalSteps}: phases 1 (rollout) and 2
   * (score) in {@link GroupedSteps#train}, the rest in {@link #step}.
   *
   * @param prompts token-id prompts
   * @param rewardFuncs the reward functions (how they combine is the algorithm's)
   * @param totalSteps the step count to stop at (a resumed trainer continues from its step)
   * @param afterStep called after each step (e.g. {@code TrainerCheckpoint.every}); may be null
   */
  public final void train(
      List<long[]> prompts,
      List<RewardFunction> rewardFuncs,
      long totalSteps,
      StepCallback afterStep) {
    GroupedSteps.train(
        this,
        rollouts,
        tokenizer,
        prompts,
        new RewardFuncs(rewardFuncs),
        groupSize,
        totalSteps,
        this::step,
        afterStep);
  }

  /**
   * Phases 3 onwards of a step on given completions and scores.
   *
   * @param rollout G completions per prompt, groups contiguous
   * @param rewardsPerFunc (N, K) scores, NaN where a function gave none
   * @param funcNames (K) the functions' names for the metrics
   * @param extra more statistics to report (timings)
   */
  public abstract Map<String, Double> step(
      GroupedRollout rollout,
      double[][] rewardsPerFunc,
      List<String> funcNames,
      Map<String, Double> extra);

  /**
   * Refuses a rollout that is not {@code batchSize} groups of {@code groupSize} completions.
   *
   * @param what the step and the group size's name, "a GRPO step needs batchSize * numGenerations"
   */
  protected final void checkGroups(GroupedRollout rollout, String what) {
    if (rollout.groupSize() != groupSize || rollout.size() != run.batchSize() * groupSize) {
      throw new IllegalArgumentException(
          what
              + " = "
              + run.batchSize() * groupSize
              + " completions in groups of "
              + groupSize
              + ", got "
              + rollout.size()
              + " in groups of "
              + rollout.groupSize());
    }
  }

  /**
   * {@code iterations} optimizer steps over the whole batch, each a {@link MiniBatchUpdate} step.
   */
  protected final Iterations optimize(ResponseBatch batch, int iterations, IterationLoss loss) {
    return optimizeWith(
        batch, iterations, it -> (rows, logProbs, logits) -> loss.loss(it, rows, logProbs, logits));
  }

  /**
   * {@code iterations} optimizer steps over the whole batch with the loss {@code lossOf} gives per
   * iteration (counted from 0), e.g. a {@link MiniBatchUpdate.PortableLoss} for a data-parallel
   * update.
   */
  protected final Iterations optimizeWith(
      ResponseBatch batch, int iterations, IntFunction<MiniBatchUpdate.LossFunction> lossOf) {
    long start = System.nanoTime();
    Map<String, Double> stats = new LinkedHashMap<>();
    double lr = optimizer.learningRate();
    for (int it = 0; it < iterations; it++) {
      lr = optimizer.learningRate();
      stats.putAll(update.step(batch, lossOf.apply(it), where(it)));
    }
    return new Iterations(stats, (System.nanoTime() - start) / 1e9, lr);
  }

  /**
   * Puts what every step reports after the algorithm's own metrics: TRL's {@code completions/*},
   * the learning rate, the phase timings and {@code extra}.
   *
   * @param passSeconds wall time of the old/reference log-prob pass (0 when none ran)
   * @param stepStart {@link System#nanoTime()} at the step's start
   */
  protected final void putStepStats(
      Map<String, Double> stats,
      GroupedRollout rollout,
      double passSeconds,
      Iterations iterations,
      long stepStart,
      Map<String, Double> extra) {
    stats.putAll(GroupedSteps.completionMetrics(rollout.rollout(), padId, eosId()));
    stats.put("learning_rate", iterations.learningRate());
    stats.put("time/ref_and_old_forward", passSeconds);
    stats.put("time/optimize", iterations.seconds());
    stats.put("time/total", (System.nanoTime() - stepStart) / 1e9);
    stats.putAll(extra);
  }

  /** The end-of-sequence id the rollouts end with ({@link TrainerSetup#eosId}). */
  protected final long eosId() {
    return eosId;
  }
}
