package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import rlhf4j.policy.model.ResponseBatch;

/**
 * Where an optimizer step's gradients are computed: {@link MiniBatchUpdate} runs every mini-batch's
 * backward in this process unless a trainer was given a gradient source ({@link
 * TrainerSetup#gradientSource}), e.g. a data-parallel one on Spark executors. A source must leave
 * in the trainables' {@code .grad} the sum of every mini-batch's gradient, as the single-process
 * loop would; the update then clips and steps as always.
 */
public interface GradientSource {
  /**
   * Adds to {@code trainable}'s gradients (zeroed by the caller) those of every mini-batch's loss
   * of {@code batch}.
   *
   * @param trainable the policy's trainable arrays, in the order they are trained
   * @param batch the optimizer step's rows; {@code spec.miniBatchSize()} divides their number
   * @param spec mini-batch size, temperature, checkpointing, algorithm
   * @param loss the algorithm's loss, holding its per-row data, runnable on another worker
   * @param where "step 3 (iteration 1)", for messages
   * @return the mini-batches' statistics, each divided by the number of mini-batches and summed,
   *     plus the source's own numbers (bytes on the wire)
   */
  Map<String, Double> accumulate(
      Map<String, NDArray> trainable,
      ResponseBatch batch,
      MiniBatchBackward.Spec spec,
      MiniBatchUpdate.PortableLoss loss,
      String where);
}
