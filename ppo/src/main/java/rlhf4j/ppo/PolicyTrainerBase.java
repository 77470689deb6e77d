package rlhf4j.ppo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.optim.Optimizer;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.Seeds;

/**
 * What GRPO, RLOO, REINFORCE++ and DPO trainers hold alike: the policy, its trainables, the
 * optimizer (closed with the trainer when it built it), listeners, the run config and the step, the
 * only state a checkpoint needs besides weights and optimizer.
 */
public abstract class PolicyTrainerBase implements PolicyTrainer {
  protected final CausalLM model;
  protected final Map<String, NDArray> trainable;
  protected final RunConfig run;
  protected final Optimizer optimizer;
  protected final Tokenizer tokenizer;
  protected final long padId;
  private final boolean ownsOptimizer;
  private final List<StatsListener> listeners;
  private long step;

  /**
   * @param setup the policy, trainables and optional parts
   * @param run batching and seed
   * @param learningRate the default optimizer's step size (the algorithm config's)
   */
  protected PolicyTrainerBase(TrainerSetup setup, RunConfig run, double learningRate) {
    this.run = Objects.requireNonNull(run, "run");
    this.model = setup.requireModel();
    this.trainable = setup.requireTrainable();
    this.ownsOptimizer = !setup.hasOptimizer();
    this.optimizer = setup.optimizerOr(learningRate);
    this.listeners = setup.listeners();
    this.tokenizer = setup.tokenizer();
    this.padId = setup.padId();
  }

  /**
   * The update of this trainer's policy ({@link MiniBatchUpdate}), its backwards in the setup's
   * {@link TrainerSetup#gradientSource} when one is set (GRPO only).
   */
  protected final MiniBatchUpdate update(TrainerSetup setup, double temperature, String algorithm) {
    if (setup.gradientSource() != null && !"GRPO".equals(algorithm)) {
      throw new IllegalArgumentException(
          "the data-parallel update (TrainerSetup.gradientSource, --spark-update) is implemented"
              + " for GRPO only, not "
              + algorithm
              + "; leave it off to run the "
              + algorithm
              + " update in this process");
    }
    return new MiniBatchUpdate(
        model,
        trainable,
        optimizer,
        run.miniBatchSize(),
        temperature,
        run.maxGradNorm(),
        setup.gradientCheckpointing(),
        algorithm,
        setup.gradientSource());
  }

  /** Seeds the torch generator (adapter dropout) from the run seed and the step. */
  protected final void seedStep() {
    Engine.getInstance().setRandomSeed((int) Seeds.mix(run.seed(), step, Seeds.DROPOUT));
  }

  /** Counts the step and tells the listeners; returns {@code stats}. */
  protected final Map<String, Double> finishStep(Map<String, Double> stats) {
    step++;
    listeners.forEach(l -> l.onStep(step, stats));
    return stats;
  }

  /** A divergence message's "step 3 (iteration 1)". */
  protected final String where(int iteration) {
    return "step " + (step + 1) + " (iteration " + (iteration + 1) + ")";
  }

  @Override
  public final long stepCount() {
    return step;
  }

  @Override
  public final void restoreStep(long step) {
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
    this.step = step;
  }

  @Override
  public final Map<String, NDArray> trainableParameters() {
    return trainable;
  }

  @Override
  public final Optimizer optimizer() {
    return optimizer;
  }

  @Override
  public final RunConfig run() {
    return run;
  }

  public final CausalLM model() {
    return model;
  }

  @Override
  public void close() {
    if (ownsOptimizer) {
      optimizer.close();
    }
  }
}
