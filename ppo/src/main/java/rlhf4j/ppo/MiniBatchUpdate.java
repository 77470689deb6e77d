package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.optim.GradClip;
import rlhf4j.policy.optim.Optimizer;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.policy.train.UpdateMemory;

/**
 * One optimizer step over a whole batch, as the critic-free trainers (GRPO, RLOO, REINFORCE++) and
 * DPO take it: the rows in consecutive mini-batches of {@code miniBatchSize}, each through the
 * policy with gradients, its per-token log-probs fed to an algorithm's loss, the gradients adding
 * up (the loss divides itself for accumulation), then an optional global gradient-norm clip and the
 * optimizer step. A non-finite loss or gradient norm raises {@link DivergenceException} before the
 * optimizer step it would feed, so weights and optimizer state stay as they were. With a {@link
 * GradientSource} the mini-batches' backwards run there (data-parallel), the clip and step here.
 */
public final class MiniBatchUpdate {
  private final Map<String, NDArray> trainable;
  private final Optimizer optimizer;
  private final MiniBatchBackward.Spec spec;
  private final MiniBatchBackward backward;
  private final OptionalDouble maxGradNorm;
  private final String algorithm;
  private final GradientSource gradients;

  /**
   * The rows of one mini-batch.
   *
   * @param rows the row range in the step's batch (slice the step's other arrays with it)
   * @param batch the mini-batch's slice of the step's batch
   * @param accumulationSteps mini-batches in this optimizer step (divide a per-mini-batch mean by
   *     it)
   */
  public record Rows(NDIndex rows, ResponseBatch batch, int accumulationSteps) {}

  /**
   * What a loss gives for one mini-batch.
   *
   * @param loss the loss to back-propagate, already divided for accumulation // ()
   * @param stats statistics under TRL's names, averaged over the mini-batches
   */
  public record Loss(NDArray loss, Map<String, Double> stats) {}

  /** An algorithm's loss on one mini-batch. */
  @FunctionalInterface
  public interface LossFunction {
    /**
     * @param rows the mini-batch
     * @param logProbs policy log-probs of the response tokens, with the graph // (mb, T)
     * @param logits the response logits, with the graph (for an entropy) // (mb, T, V)
     */
    Loss apply(Rows rows, NDArray logProbs, NDArray logits);
  }

  /**
   * A loss that holds its per-row data as plain arrays (not the driver's NDArrays), so a {@link
   * GradientSource} can run it on another worker: it slices its data by {@link Rows#rows()} of the
   * whole step's batch and creates its arrays in the manager of {@code logProbs}.
   */
  public interface PortableLoss extends LossFunction, Serializable {}

  /**
   * @param model the policy
   * @param trainable the arrays the optimizer updates
   * @param optimizer the optimizer
   * @param miniBatchSize rows per forward and backward
   * @param temperature the rollouts' temperature (log-probs under {@code logits / temperature})
   * @param maxGradNorm the global gradient-norm clip, or empty
   * @param gradientCheckpointing recompute each block in the backward
   * @param algorithm named in divergence messages
   * @param gradients where the mini-batches' backwards run, or null for inline here (then every
   *     loss must be a {@link PortableLoss})
   */
  public MiniBatchUpdate(
      CausalLM model,
      Map<String, NDArray> trainable,
      Optimizer optimizer,
      int miniBatchSize,
      double temperature,
      OptionalDouble maxGradNorm,
      boolean gradientCheckpointing,
      String algorithm,
      GradientSource gradients) {
    this.trainable = Objects.requireNonNull(trainable, "trainable");
    this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
    this.spec =
        new MiniBatchBackward.Spec(miniBatchSize, temperature, gradientCheckpointing, algorithm);
    this.backward = new MiniBatchBackward(Objects.requireNonNull(model, "model"), spec);
    this.maxGradNorm = Objects.requireNonNull(maxGradNorm, "maxGradNorm");
    this.algorithm = algorithm;
    this.gradients = gradients;
  }

  /**
   * Whether the backwards run in a {@link GradientSource} (losses must be {@link PortableLoss}).
   */
  public boolean distributed() {
    return gradients != null;
  }

  /**
   * One optimizer step over every row of {@code batch}.
   *
   * @param batch the step's rows; {@code miniBatchSize} must divide their number
   * @param loss the algorithm's loss
   * @param where "step 3 (iteration 1)", for divergence messages
   * @return the mini-batches' statistics averaged, plus {@code grad_norm} when clipping
   */
  public Map<String, Double> step(ResponseBatch batch, LossFunction loss, String where) {
    int b = Math.toIntExact(batch.ids().getShape().get(0));
    if (b % spec.miniBatchSize() != 0) {
      throw new IllegalArgumentException(
          "miniBatchSize " + spec.miniBatchSize() + " must divide the step's " + b + " rows");
    }
    int ga = b / spec.miniBatchSize();
    Map<String, Double> sums = new LinkedHashMap<>();
    UpdateMemory.releaseBeforeUpdate(); // the activations to come set the peak RSS
    optimizer.zeroGrad(trainable);
    if (gradients != null) {
      if (!(loss instanceof PortableLoss portable)) {
        throw new IllegalStateException(
            algorithm
                + " gave a loss the gradient source cannot ship to its workers; the data-parallel"
                + " update needs a MiniBatchUpdate.PortableLoss");
      }
      sums.putAll(gradients.accumulate(trainable, batch, spec, portable, where));
    } else {
      for (int start = 0; start < b; start += spec.miniBatchSize()) {
        backward
            .run(batch, start, ga, loss, where)
            .forEach((k, v) -> sums.merge(k, v / ga, Double::sum));
      }
    }
    if (maxGradNorm.isPresent()) {
      double norm = GradClip.clipGlobalNorm(trainable, maxGradNorm.getAsDouble());
      DivergenceException.checkFinite(
          "the " + algorithm + " gradient norm at " + where,
          norm,
          "lower the learning rate; the weights are those before this optimizer step and the"
              + " last checkpoint is intact");
      sums.put("grad_norm", norm);
    }
    optimizer.step(trainable);
    return sums;
  }
}
