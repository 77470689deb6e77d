package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.LossHead;
import rlhf4j.policy.model.Masked;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.model.Scalars;
import rlhf4j.policy.model.TokenLogProbs;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.optim.GradClip;
import rlhf4j.policy.optim.Optimizer;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.policy.train.Seeds;
import rlhf4j.policy.train.UpdateMemory;
import rlhf4j.ppo.math.Entropy;
import rlhf4j.ppo.math.Gae;
import rlhf4j.ppo.math.PpoLoss;
import rlhf4j.ppo.math.PpoStats;

/**
 * The optimisation phase of a PPO step (TRL classic): {@code ppoEpochs} passes over the batch in a
 * seeded order ({@code Seeds.MINI_BATCH_ORDER}), mini-batches of {@code miniBatchSize} rows,
 * gradients accumulated over {@code gradientAccumulationSteps} of them per optimizer step, an
 * optional global gradient-norm clip, and TRL's early stopping on the policy KL.
 *
 * <p>A non-finite mini-batch loss (checked before its backward) or, with {@code maxGradNorm}, a
 * non-finite gradient norm raises {@link DivergenceException} before the optimizer step it would
 * feed: a divergence in the first mini-batch leaves weights and optimizer state untouched, a later
 * one leaves those of the optimizer steps already taken in this PPO step.
 */
public final class PpoUpdate {
  private final CausalLM model;
  private final ValueHead valueHead;
  private final Map<String, NDArray> trainable;
  private final Optimizer optimizer;
  private final PpoConfig config;
  private final boolean gradientCheckpointing;

  /**
   * The rows of one mini-batch of the step's tensors.
   *
   * @param ids // (mb, P + T)
   * @param attentionMask // (mb, P + T)
   * @param responses // (mb, T)
   * @param mask // (mb, T)
   * @param queryWidth P
   * @param oldLogProbs rollout log-probs // (mb, T)
   * @param values masked rollout values // (mb, T)
   * @param advantages whitened advantages // (mb, T)
   * @param returns // (mb, T)
   */
  public record MiniBatch(
      NDArray ids,
      NDArray attentionMask,
      NDArray responses,
      NDArray mask,
      int queryWidth,
      NDArray oldLogProbs,
      NDArray values,
      NDArray advantages,
      NDArray returns) {

    /** The rows {@code rows} of the step's batch, old log-probs and GAE results. */
    public static MiniBatch of(
        ResponseBatch batch, NDArray oldLogProbs, Gae.Result gae, NDIndex rows) {
      return new MiniBatch(
          batch.ids().get(rows),
          batch.attentionMask().get(rows),
          batch.responses().get(rows),
          batch.mask().get(rows),
          batch.queryWidth(),
          oldLogProbs.get(rows),
          gae.values().get(rows),
          gae.advantages().get(rows),
          gae.returns().get(rows));
    }
  }

  /**
   * What {@link #loss} gives for one mini-batch.
   *
   * @param loss the loss to back-propagate, with the graph // ()
   * @param lossValue its value, checked for divergence before the backward
   * @param stats TRL's mini-batch statistics ({@link PpoStats#minibatch}) and {@code policy/ratio};
   *     empty when the loss is not finite
   * @param ratioMaxDeviation {@code max |ratio - 1|} over the masked tokens, or NaN when not asked
   */
  public record MiniBatchLoss(
      NDArray loss, double lossValue, Map<String, Double> stats, double ratioMaxDeviation) {}

  /**
   * @param model the policy
   * @param valueHead its value head
   * @param trainable the arrays the optimizer updates
   * @param optimizer the optimizer
   * @param config the PPO hyper-parameters
   * @param gradientCheckpointing recompute each block in the backward
   */
  public PpoUpdate(
      CausalLM model,
      ValueHead valueHead,
      Map<String, NDArray> trainable,
      Optimizer optimizer,
      PpoConfig config,
      boolean gradientCheckpointing) {
    this.model = Objects.requireNonNull(model, "model");
    this.valueHead = Objects.requireNonNull(valueHead, "valueHead");
    this.trainable = Objects.requireNonNull(trainable, "trainable");
    this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
    this.config = Objects.requireNonNull(config, "config");
    this.gradientCheckpointing = gradientCheckpointing;
  }

  /**
   * Epochs x mini-batches over one step's batch.
   *
   * @param batch the padded queries and responses
   * @param oldLogProbs rollout log-probs // (B, T)
   * @param gae values, advantages and returns // (B, T)
   * @param step completed steps before this one (seeds the mini-batch order)
   * @return mini-batch statistics averaged over the mini-batches run ({@code policy/grad_norm}
   *     summed over optimizer steps), {@code policy/ratio_first_minibatch_max_dev} and {@code
   *     early_stopped}, under TRL's keys without the {@code ppo/} prefix
   */
  public Map<String, Double> run(
      ResponseBatch batch, NDArray oldLogProbs, Gae.Result gae, long step) {
    int b = config.batchSize();
    int mbSize = config.miniBatchSize();
    int ga = config.gradientAccumulationSteps();
    Map<String, Double> sums = new LinkedHashMap<>();
    int count = 0;
    boolean earlyStop = false;
    double firstRatioDeviation = Double.NaN;
    NDManager m = batch.mask().getManager();
    UpdateMemory.releaseBeforeUpdate(); // the activations to come set the peak RSS
    optimizer.zeroGrad(trainable);
    for (int epoch = 0; epoch < config.ppoEpochs() && !earlyStop; epoch++) {
      long counter = step * 1000 + epoch;
      int[] perm = Seeds.permutation(b, Seeds.rng(config.seed(), counter, Seeds.MINI_BATCH_ORDER));
      for (int start = 0; start < b && !earlyStop; start += mbSize * ga) {
        for (int k = 0; k < ga && !earlyStop; k++) {
          boolean first = Double.isNaN(firstRatioDeviation);
          MiniBatchLoss result;
          // one scope per mini-batch: its graph and activations are freed before the next one
          try (NDScope scope = new NDScope()) {
            NDIndex rows = new NDIndex("{}", m.create(rows(perm, start + k * mbSize, mbSize)));
            result = backward(MiniBatch.of(batch, oldLogProbs, gae, rows), first, step, epoch);
          }
          if (first) {
            firstRatioDeviation = result.ratioMaxDeviation();
          }
          result.stats().forEach((key, v) -> sums.merge(key, v, Double::sum));
          count++;
          double policyKl = result.stats().get("policy/policykl");
          earlyStop = config.earlyStopping() && policyKl > 1.5 * config.targetKl();
        }
        if (config.maxGradNorm().isPresent()) {
          double norm = GradClip.clipGlobalNorm(trainable, config.maxGradNorm().getAsDouble());
          DivergenceException.checkFinite(
              "the gradient norm at step " + (step + 1) + " (epoch " + epoch + ")",
              norm,
              "lower the learning rate; the weights are those before this optimizer step and the"
                  + " last checkpoint is intact");
          sums.merge("policy/grad_norm", norm, Double::sum);
        }
        optimizer.step(trainable);
      }
    }
    Map<String, Double> means = new LinkedHashMap<>();
    int n = count;
    sums.forEach((k, v) -> means.put(k, k.equals("policy/grad_norm") ? v : v / n));
    means.put("policy/ratio_first_minibatch_max_dev", firstRatioDeviation);
    means.put("early_stopped", earlyStop ? 1.0 : 0.0);
    return means;
  }

  /**
   * Forward and backward of one mini-batch through the model (block by block with gradient
   * checkpointing); the gradients, divided by the accumulation steps, add up in the trainables.
   */
  private MiniBatchLoss backward(MiniBatch mb, boolean first, long step, int epoch) {
    int ga = config.gradientAccumulationSteps();
    LossCall call = new LossCall(mb, first, step, epoch, ga);
    model.backward(mb.ids(), mb.attentionMask(), true, gradientCheckpointing, call);
    return call.result;
  }

  /** The loss head of one backward; keeps what {@link #loss} returned. */
  private final class LossCall implements LossHead {
    private final MiniBatch mb;
    private final boolean first;
    private final long step;
    private final int epoch;
    private final int ga;
    private MiniBatchLoss result;

    LossCall(MiniBatch mb, boolean first, long step, int epoch, int ga) {
      this.mb = mb;
      this.first = first;
      this.step = step;
      this.epoch = epoch;
      this.ga = ga;
    }

    @Override
    public NDList apply(NDArray hidden) {
      result = loss(mb, hidden, first);
      if (!Double.isFinite(result.lossValue())) {
        throw new DivergenceException(
            "PPO loss is "
                + result.lossValue()
                + " at step "
                + (step + 1)
                + " (epoch "
                + epoch
                + "); lower the learning rate or clip gradients (maxGradNorm). No optimizer step"
                + " ran on it, and the last checkpoint is intact");
      }
      NDArray loss = result.loss();
      return new NDList(ga == 1 ? loss : Scalars.div(loss, ga));
    }
  }

  /**
   * The PPO loss of one mini-batch from the model's final hidden state: policy log-probs and value
   * predictions at the response positions, TRL's clipped loss ({@link PpoLoss#compute}) and its
   * statistics.
   *
   * @param mb the mini-batch
   * @param hidden final hidden state, part of the graph // (mb, P + T, D)
   * @param withRatioDeviation also measure {@code max |ratio - 1|} (one more host sync)
   */
  public MiniBatchLoss loss(MiniBatch mb, NDArray hidden, boolean withRatioDeviation) {
    CausalLM.Output out = model.responseOutput(hidden, mb.queryWidth(), true);
    NDArray logits = out.logits(); // (mb, T, V)
    NDArray logProbs = TokenLogProbs.gather(logits, mb.responses(), config.temperature()); // (mb,T)
    NDArray vpreds = valueHead.forward(out.hidden()); // (mb, T)
    PpoLoss.Result res =
        PpoLoss.compute(
            logProbs,
            mb.oldLogProbs(),
            vpreds,
            mb.values(),
            mb.advantages(),
            mb.returns(),
            mb.mask(),
            config.lossSettings());
    double lossValue = Masked.scalar(res.loss());
    if (!Double.isFinite(lossValue)) {
      return new MiniBatchLoss(res.loss(), lossValue, Map.of(), Double.NaN);
    }
    NDArray entropy = Entropy.statistic(logits, config.temperature()); // (mb, T)
    Map<String, Double> stats =
        PpoStats.minibatch(
            res, entropy, mb.advantages(), mb.returns(), mb.values(), vpreds, mb.mask());
    stats.put("policy/ratio", res.ratioMean());
    double deviation =
        withRatioDeviation
            ? Masked.scalar(res.ratio().sub(1).abs().mul(mb.mask()).max())
            : Double.NaN;
    return new MiniBatchLoss(res.loss(), lossValue, stats, deviation);
  }

  private static long[] rows(int[] perm, int from, int n) {
    long[] rows = new long[n];
    for (int i = 0; i < n; i++) {
      rows[i] = perm[from + i];
    }
    return rows;
  }
}
