package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.Objects;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.model.TokenLogProbs;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.reference.ReferenceModel;
import rlhf4j.rollout.Rollout;

/**
 * The no-gradient pass of an RLHF step over a padded response batch: per-token log-probs of the
 * responses under the policy (with its value head's values, when it has one) and under the
 * reference, chunked into row slices so that only one chunk's logits and activations exist at a
 * time (each chunk runs in its own scope; the per-token results outlive it, owned by the caller's
 * manager). PPO, GRPO, RLOO and DPO share it.
 *
 * <p>A chunk has at least {@code chunkSize} rows (the trainer's mini-batch, as TRL's classic
 * PPOTrainer forwards {@code mini_batch_size} rows), and more while its (rows, T, V) logits stay
 * within {@link #LOGITS_BUDGET_BYTES}: few rows per forward make every GEMM small, and the pass
 * pays the per-call overhead once per chunk (TRL's newer on-policy trainers forward {@code
 * local_rollout_forward_batch_size} = 64 rows without gradients for the same reason).
 */
public final class LogProbPass {
  /**
   * Bytes of float32 logits one chunk may hold: 64 MiB, e.g. 10 rows of 32 response tokens over
   * GPT-2's 50,257 tokens, 3 over Qwen3's 151,936. Their log-softmax is taken a few rows at a time
   * ({@link TokenLogProbs#gatherByRows}), so it adds 8 MiB, not as much again (whole distributions,
   * for the full KL penalty, keep it whole).
   */
  static final long LOGITS_BUDGET_BYTES = 64L << 20;

  private final CausalLM model;
  private final ValueHead valueHead;
  private final ReferenceModel reference;
  private final int chunkSize;
  private final double temperature;
  private final long logitsBudgetBytes;

  /**
   * What one pass gives; arrays are owned by the manager passed to {@link #run}.
   *
   * @param logProbs policy log-probs of the response tokens, or null without the policy pass // (B,
   *     T)
   * @param values the value head's values, or null without the policy pass or a value head // (B,
   *     T)
   * @param refLogProbs reference log-probs of the response tokens, or null without a reference //
   *     (B, T)
   * @param fullLogProbs policy {@code log_softmax(logits / temperature)}, only with distributions
   *     // (B, T, V)
   * @param fullRefLogProbs the reference's, likewise // (B, T, V)
   * @param seconds wall time of the whole pass
   * @param refSeconds wall time of the reference's part
   */
  public record Result(
      NDArray logProbs,
      NDArray values,
      NDArray refLogProbs,
      NDArray fullLogProbs,
      NDArray fullRefLogProbs,
      double seconds,
      double refSeconds) {}

  /**
   * @param model the policy
   * @param valueHead the policy's value head, or null (no values)
   * @param reference the reference policy, or null for none (GRPO with {@code beta = 0}: no
   *     reference pass at all, and {@link Result#refLogProbs()} is null)
   * @param chunkSize the fewest rows per forward (PPO uses its mini-batch size); more while the
   *     logits fit {@link #LOGITS_BUDGET_BYTES}
   * @param temperature the rollouts' sampling temperature
   */
  public LogProbPass(
      CausalLM model,
      ValueHead valueHead,
      ReferenceModel reference,
      int chunkSize,
      double temperature) {
    this(model, valueHead, reference, chunkSize, temperature, LOGITS_BUDGET_BYTES);
  }

  /** As the public constructor, with another logits budget per chunk (tests). */
  LogProbPass(
      CausalLM model,
      ValueHead valueHead,
      ReferenceModel reference,
      int chunkSize,
      double temperature,
      long logitsBudgetBytes) {
    if (chunkSize < 1) {
      throw new IllegalArgumentException("chunkSize must be >= 1, got " + chunkSize);
    }
    this.model = Objects.requireNonNull(model, "model");
    this.valueHead = valueHead;
    this.reference = reference;
    this.chunkSize = chunkSize;
    this.temperature = temperature;
    this.logitsBudgetBytes = logitsBudgetBytes;
  }

  /**
   * Runs the pass without gradients.
   *
   * @param m owns the results
   * @param batch the padded queries and responses
   * @param withPolicy also run the policy (skip it when the rollout's log-probs and values serve)
   * @param withDistributions also keep whole log-distributions of both models (the full-KL
   *     penalty); needs {@code withPolicy}
   */
  public Result run(
      NDManager m, ResponseBatch batch, boolean withPolicy, boolean withDistributions) {
    if (withDistributions && !withPolicy) {
      throw new IllegalArgumentException("whole distributions need the policy pass");
    }
    if (withDistributions && reference == null) {
      throw new IllegalArgumentException("whole distributions need a reference");
    }
    long t0 = System.nanoTime();
    int b = Math.toIntExact(batch.ids().getShape().get(0));
    int chunkSize =
        withDistributions
            ? this.chunkSize // whole distributions are kept anyway: stay at the trainer's size
            : rowsPerChunk(
                this.chunkSize,
                batch.responses().getShape().get(1),
                model.config().vocabSize(),
                logitsBudgetBytes);
    NDList logProbs = new NDList();
    NDList values = new NDList();
    NDList refLogProbs = new NDList();
    NDList full = new NDList();
    NDList fullRef = new NDList();
    double refSeconds = 0;
    try (NoGrad ng = NoGrad.enter()) {
      for (int start = 0; start < b; start += chunkSize) {
        NDIndex rows = new NDIndex("{}:{}", start, Math.min(b, start + chunkSize));
        // a scope per chunk: its logits and activations go; the per-token results stay
        try (NDScope chunk = new NDScope()) {
          NDArray ids = batch.ids().get(rows); // (b, S)
          NDArray attn = batch.attentionMask().get(rows); // (b, S)
          NDArray resp = batch.responses().get(rows); // (b, T)
          CausalLM.Output out = null;
          if (withPolicy) {
            out = model.forwardResponse(ids, attn, batch.queryWidth(), false);
            logProbs.add(
                withDistributions
                    ? TokenLogProbs.gather(out.logits(), resp, temperature)
                    : TokenLogProbs.gatherByRows(out.logits(), resp, temperature)); // (b, T)
            if (valueHead != null) {
              values.add(valueHead.forward(out.hidden())); // (b, T)
            }
          }
          long tr = System.nanoTime();
          if (withDistributions) {
            NDArray refLogits = reference.responseLogits(ids, attn, batch.queryWidth()); // (b,T,V)
            refLogProbs.add(TokenLogProbs.gather(refLogits, resp, temperature)); // (b, T)
            refSeconds += (System.nanoTime() - tr) / 1e9;
            full.add(out.logits().div((float) temperature).logSoftmax(-1)); // (b, T, V)
            fullRef.add(refLogits.div((float) temperature).logSoftmax(-1)); // (b, T, V)
          } else if (reference != null) {
            NDArray ref =
                reference.responseLogProbs(ids, attn, batch.queryWidth(), resp, temperature);
            refLogProbs.add(ref); // (b, T)
            refSeconds += (System.nanoTime() - tr) / 1e9;
          }
          keepLast(m, logProbs, values, refLogProbs, full, fullRef);
        }
      }
    }
    return new Result(
        concat(logProbs),
        concat(values),
        concat(refLogProbs),
        concat(full),
        concat(fullRef),
        (System.nanoTime() - t0) / 1e9,
        refSeconds);
  }

  /**
   * {@link #run} without distributions, unless the rollout's source already computed the policy's
   * and the reference's log-probs where it generated ({@link Rollout#refLogProbs()} set; see {@link
   * rlhf4j.rollout.RolloutSource}): then those, as arrays zero where padded, and no forward here
   * ({@code seconds} 0). The critic-free trainers' phase of old and reference log-probs.
   *
   * @param rollout the step's rollout, in {@code batch}'s row order
   */
  public Result runOrReuse(NDManager m, ResponseBatch batch, boolean withPolicy, Rollout rollout) {
    if (rollout.refLogProbs() == null || valueHead != null) {
      return run(m, batch, withPolicy, false);
    }
    NDArray logProbs = withPolicy ? batch.perToken(m, rollout.logProbs()) : null; // (B, T)
    NDArray ref = reference == null ? null : batch.perToken(m, rollout.refLogProbs()); // (B, T)
    return new Result(logProbs, null, ref, null, null, 0, 0);
  }

  /**
   * Rows per forward: at least {@code minRows}, else as many as keep the chunk's float32 logits
   * {@code (rows, t, vocab)} within {@code budgetBytes}.
   */
  static int rowsPerChunk(int minRows, long t, long vocab, long budgetBytes) {
    long perRow = Math.max(1, t) * vocab * Float.BYTES;
    return (int) Math.max(minRows, Math.min(Integer.MAX_VALUE, budgetBytes / perRow));
  }

  private static NDArray concat(NDList parts) {
    return parts.isEmpty() ? null : NDArrays.concat(parts, 0);
  }

  /**
   * Keeps the newest array of each non-empty list alive past the chunk's scope, owned by {@code m}
   * (whatever manager the op put it in), so it goes when the caller's step ends.
   */
  private static void keepLast(NDManager m, NDList... lists) {
    for (NDList l : lists) {
      if (!l.isEmpty()) {
        NDArray last = l.get(l.size() - 1);
        NDScope.unregister(last);
        last.attach(m);
      }
    }
  }
}
