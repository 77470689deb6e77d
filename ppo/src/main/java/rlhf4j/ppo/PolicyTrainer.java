package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import rlhf4j.policy.optim.Optimizer;

/**
 * What the critic-free and preference trainers (GRPO, RLOO, REINFORCE++, DPO) have in common for
 * checkpoints ({@link TrainerCheckpoint}): their only state besides weights and optimizer is the
 * step, since every random stream derives from the run seed and the step.
 */
public interface PolicyTrainer extends AutoCloseable {

  /** Called after each step of a trainer's {@code train}. */
  @FunctionalInterface
  interface StepCallback {
    void afterStep(PolicyTrainer trainer, Map<String, Double> stats);
  }

  /** The algorithm's name ("grpo", "rloo", "reinforce_pp", "dpo"), the checkpoint's format. */
  String algorithm();

  /** Completed steps. */
  long stepCount();

  /** Sets the completed steps (checkpoint resume; weights and optimizer are restored apart). */
  void restoreStep(long step);

  /** The trainable arrays by name. */
  Map<String, NDArray> trainableParameters();

  Optimizer optimizer();

  /** The batching config. */
  RunConfig run();

  /** The algorithm's config (recorded in checkpoints; a change is logged on resume). */
  Record config();

  /** Frees what the trainer created (its optimizer unless it was given one). */
  @Override
  void close();
}
