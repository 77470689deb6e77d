package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.LossHead;
import rlhf4j.policy.model.Masked;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.model.TokenLogProbs;
import rlhf4j.policy.optim.GradClip;
import rlhf4j.policy.optim.Optimizer;
import rlhf4j.policy.train.DivergenceException;

/**
 * One optimizer step over a whole batch, as the critic-free trainers (GRPO, RLOO, REINFORCE++) and
 * DPO take it: the rows in consecutive mini-batches of {@code miniBatchSize}, each through the
 * policy with gradients, its per-token log-probs fed to an algorithm's loss, the gradients adding
 * up (the loss divides itself for accumulation), then an optional global gradient-norm clip and the
 * optimizer step. A non-finite loss or gradient norm raises {@link DivergenceException} before the
 * optimizer step it would feed, so weights and optimizer state stay as they were.
 */
public final class MiniBatchUpdate {
  private final CausalLM model;
  private final Map<String, NDArray> trainable;
  private final Optimizer optimizer;
  private final int miniBatchSize;
  private final double temperature;
  private final OptionalDouble maxGradNorm;
  private final boolean gradientCheckpointing;
  private final String algorithm;

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
   * @param model the policy
   * @param trainable the arrays the optimizer updates
   * @param optimizer the optimizer
   * @param miniBatchSize rows per forward and backward
   * @param temperature the rollouts' temperature (log-probs under {@code logits / temperature})
   * @param maxGradNorm the global gradient-norm clip, or empty
   * @param gradientCheckpointing recompute each block in the backward
   * @param algorithm named in divergence messages
   */
  public MiniBatchUpdate(
      CausalLM model,
      Map<String, NDArray> trainable,
      Optimizer optimizer,
      int miniBatchSize,
      double temperature,
      OptionalDouble maxGradNorm,
      boolean gradientCheckpointing,
      String algorithm) {
    this.model = Objects.requireNonNull(model, "model");
    this.trainable = Objects.requireNonNull(trainable, "trainable");
    this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
    if (miniBatchSize < 1) {
      throw new IllegalArgumentException("miniBatchSize must be >= 1, got " + miniBatchSize);
    }
    this.miniBatchSize = miniBatchSize;
    this.temperature = temperature;
    this.maxGradNorm = Objects.requireNonNull(maxGradNorm, "maxGradNorm");
    this.gradientCheckpointing = gradientCheckpointing;
    this.algorithm = algorithm;
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
    if (b % miniBatchSize != 0) {
      throw new IllegalArgumentException(
          "miniBatchSize " + miniBatchSize + " must divide the step's " + b + " rows");
    }
    int ga = b / miniBatchSize;
    Map<String, Double> sums = new LinkedHashMap<>();
    optimizer.zeroGrad(trainable);
    for (int start = 0; start < b; start += miniBatchSize) {
      NDIndex rows = new NDIndex("{}:{}", start, start + miniBatchSize);
      // one scope per mini-batch: its graph and activations are freed before the next one
      try (NDScope scope = new NDScope()) {
        ResponseBatch mb =
            new ResponseBatch(
                batch.ids().get(rows),
                batch.attentionMask().get(rows),
                batch.responses().get(rows),
                batch.mask().get(rows),
                batch.queryWidth());
        Call call = new Call(new Rows(rows, mb, ga), loss, where);
        model.backward(mb.ids(), mb.attentionMask(), true, gradientCheckpointing, call);
        call.stats.forEach((k, v) -> sums.merge(k, v / ga, Double::sum));
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

  /** The loss head of one backward. */
  private final class Call implements LossHead {
    private final Rows rows;
    private final LossFunction loss;
    private final String where;
    private Map<String, Double> stats = Map.of();

    Call(Rows rows, LossFunction loss, String where) {
      this.rows = rows;
      this.loss = loss;
      this.where = where;
    }

    @Override
    public NDList apply(NDArray hidden) {
      CausalLM.Output out = model.responseOutput(hidden, rows.batch().queryWidth(), true);
      NDArray logits = out.logits(); // (mb, T, V)
      NDArray logProbs = TokenLogProbs.gather(logits, rows.batch().responses(), temperature);
      Loss result = loss.apply(rows, logProbs, logits);
      double value = Masked.scalar(result.loss());
      if (!Double.isFinite(value)) {
        throw new DivergenceException(
            algorithm
                + " loss is "
                + value
                + " at "
                + where
                + "; lower the learning rate or clip gradients (maxGradNorm). No optimizer step"
                + " ran on it, and the last checkpoint is intact");
      }
      stats = result.stats();
      return new NDList(result.loss());
    }
  }
}
