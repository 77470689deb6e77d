package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.io.Serializable;
import java.util.Map;
import java.util.Objects;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.LossHead;
import rlhf4j.policy.model.Masked;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.model.TokenLogProbs;
import rlhf4j.policy.train.DivergenceException;

/**
 * One mini-batch's forward and backward through a policy, its gradients adding to the trainables'
 * {@code .grad}: the part of {@link MiniBatchUpdate} a data-parallel {@link GradientSource} runs on
 * each worker with the same code, so the gradients agree with the single-process update.
 */
public final class MiniBatchBackward {
  private final CausalLM model;
  private final Spec spec;

  /**
   * What a backward needs besides the model and the loss; serializable, so workers run it alike.
   *
   * @param miniBatchSize rows per forward and backward
   * @param temperature the rollouts' temperature (log-probs under {@code logits / temperature})
   * @param gradientCheckpointing recompute each block in the backward
   * @param algorithm named in divergence messages
   */
  public record Spec(
      int miniBatchSize, double temperature, boolean gradientCheckpointing, String algorithm)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Validates the mini-batch size. */
    public Spec {
      if (miniBatchSize < 1) {
        throw new IllegalArgumentException("miniBatchSize must be >= 1, got " + miniBatchSize);
      }
      Objects.requireNonNull(algorithm, "algorithm");
    }
  }

  /**
   * @param model the policy whose trainables receive the gradients
   * @param spec mini-batch size, temperature, checkpointing
   */
  public MiniBatchBackward(CausalLM model, Spec spec) {
    this.model = Objects.requireNonNull(model, "model");
    this.spec = Objects.requireNonNull(spec, "spec");
  }

  /**
   * The forward and backward of rows {@code [start, start + miniBatchSize)} of {@code batch}.
   *
   * @param batch the optimizer step's rows
   * @param start the mini-batch's first row
   * @param accumulationSteps mini-batches in the optimizer step
   * @param loss the algorithm's loss
   * @param where "step 3 (iteration 1)", for divergence messages
   * @return the loss's statistics of this mini-batch
   * @throws DivergenceException when the loss is not finite
   */
  public Map<String, Double> run(
      ResponseBatch batch,
      int start,
      int accumulationSteps,
      MiniBatchUpdate.LossFunction loss,
      String where) {
    NDIndex rows = new NDIndex("{}:{}", start, start + spec.miniBatchSize());
    // one scope per mini-batch: its graph and activations are freed before the next one
    try (NDScope scope = new NDScope()) {
      ResponseBatch mb =
          new ResponseBatch(
              batch.ids().get(rows),
              batch.attentionMask().get(rows),
              batch.responses().get(rows),
              batch.mask().get(rows),
              batch.queryWidth());
      Call call = new Call(new MiniBatchUpdate.Rows(rows, mb, accumulationSteps), loss, where);
      model.backward(mb.ids(), mb.attentionMask(), true, spec.gradientCheckpointing(), call);
      return call.stats;
    }
  }

  /** The loss head of one backward. */
  private final class Call implements LossHead {
    private final MiniBatchUpdate.Rows rows;
    private final MiniBatchUpdate.LossFunction loss;
    private final String where;
    private Map<String, Double> stats = Map.of();

    Call(MiniBatchUpdate.Rows rows, MiniBatchUpdate.LossFunction loss, String where) {
      this.rows = rows;
      this.loss = loss;
      this.where = where;
    }

    @Override
    public NDList apply(NDArray hidden) {
      CausalLM.Output out = model.responseOutput(hidden, rows.batch().queryWidth(), true);
      NDArray logits = out.logits(); // (mb, T, V)
      NDArray logProbs =
          TokenLogProbs.gather(logits, rows.batch().responses(), spec.temperature()); // (mb, T)
      MiniBatchUpdate.Loss result = loss.apply(rows, logProbs, logits);
      double value = Masked.scalar(result.loss());
      if (!Double.isFinite(value)) {
        throw new DivergenceException(
            spec.algorithm()
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
