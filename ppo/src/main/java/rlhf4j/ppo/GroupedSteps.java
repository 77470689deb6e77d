package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.model.Masked;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.ppo.math.Entropy;
import rlhf4j.rollout.GroupedRollout;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutSource;

/**
 * The loop and small pieces the group-based critic-free trainers (GRPO, RLOO, REINFORCE++) share:
 * each step takes the next prompts ({@link PromptOrder}), asks the rollout source for a group of
 * completions per prompt, scores them with every reward function (unless the source brought the
 * scores) and hands both, with the source's numbers ({@link RolloutSource#lastRolloutStats()}), to
 * the trainer's step (phases 3 onwards).
 */
public final class GroupedSteps {
  private GroupedSteps() {}

  /** A trainer's phases after rollout and scoring. */
  @FunctionalInterface
  public interface Step {
    /**
     * @param rollout the step's completions, groups contiguous
     * @param rewardsPerFunc (N, K) scores, NaN where a function gave none
     * @param funcNames (K) reward-function names
     * @param extra rollout and reward timings to add to the stats
     */
    Map<String, Double> step(
        GroupedRollout rollout,
        double[][] rewardsPerFunc,
        List<String> funcNames,
        Map<String, Double> extra);
  }

  /**
   * Phases 1 and 2 of every step until {@code stepCount} reaches {@code totalSteps}.
   *
   * @param trainer the trainer (its step count and callback argument)
   * @param rollouts the rollout source; null is refused with a hint
   * @param tokenizer decodes prompts for the reward functions, or null
   * @param prompts token-id prompts
   * @param funcs the reward functions
   * @param groupSize completions per prompt
   * @param totalSteps the step count to stop at
   * @param step phases 3 onwards
   * @param afterStep called after each step, or null
   */
  public static void train(
      PolicyTrainer trainer,
      RolloutSource rollouts,
      Tokenizer tokenizer,
      List<long[]> prompts,
      RewardFuncs funcs,
      int groupSize,
      long totalSteps,
      Step step,
      PolicyTrainer.StepCallback afterStep) {
    if (rollouts == null) {
      throw new IllegalStateException(
          "train needs rollouts: set TrainerSetup.generation (the local generator) or"
              + " TrainerSetup.rolloutSource");
    }
    PromptOrder order = new PromptOrder(prompts, trainer.run().batchSize(), trainer.run().seed());
    while (trainer.stepCount() < totalSteps) {
      // 1. rollout: G completions of each of the step's prompts
      long t0 = System.nanoTime();
      GroupedRollout rollout =
          GroupedRollout.generate(
              rollouts, order.batch(trainer.stepCount()), groupSize, trainer.stepCount());
      double rolloutSeconds = (System.nanoTime() - t0) / 1e9;
      // 2. score: every reward function, NaN where one gives no score; a source that scored
      // where it generated (a distributed one) brings the table along
      long t1 = System.nanoTime();
      double[][] scores = scores(rollout.rollout(), funcs, tokenizer);
      Map<String, Double> extra = new LinkedHashMap<>();
      extra.put("time/rollout", rolloutSeconds);
      extra.put("time/reward", (System.nanoTime() - t1) / 1e9);
      extra.putAll(rollouts.lastRolloutStats());
      Map<String, Double> stats = step.step(rollout, scores, funcs.names(), extra);
      if (afterStep != null) {
        afterStep.afterStep(trainer, stats);
      }
    }
  }

  /**
   * The (N, K) reward table of a rollout: the source's {@link Rollout#rewardsPerFunc()} when it
   * scored with the same K functions where it generated, else {@code funcs} scoring it here.
   */
  static double[][] scores(Rollout rollout, RewardFuncs funcs, Tokenizer tokenizer) {
    double[][] table = rollout.rewardsPerFunc();
    if (table == null) {
      return funcs.score(RolloutSamples.of(rollout, tokenizer));
    }
    if (table.length != rollout.size()) {
      throw new IllegalStateException(
          "the rollout source sent "
              + table.length
              + " rows of rewards for "
              + rollout.size()
              + " completions; a source must score every completion it returns");
    }
    for (double[] row : table) {
      if (row.length != funcs.size()) {
        throw new IllegalStateException(
            "the rollout source scored with "
                + row.length
                + " reward functions but the trainer was given "
                + funcs.size()
                + " ("
                + String.join(", ", funcs.names())
                + "); build the source from the same reward functions, in the same order");
      }
    }
    return table;
  }

  /** The responses as int ids (for {@code TruncatedCompletions}). */
  public static List<int[]> completions(Rollout rollout) {
    List<int[]> out = new ArrayList<>(rollout.size());
    for (long[] r : rollout.responses()) {
      int[] ids = new int[r.length];
      for (int i = 0; i < r.length; i++) {
        ids[i] = Math.toIntExact(r[i]);
      }
      out.add(ids);
    }
    return out;
  }

  /**
   * Masked mean entropy of the policy's distributions (TRL's {@code entropy}), no gradient.
   *
   * @param logits // (mb, T, V)
   * @param mask // (mb, T)
   */
  public static double entropy(NDArray logits, NDArray mask, double temperature) {
    return maskedMean(Entropy.statistic(logits, temperature), mask); // (mb, T)
  }

  /** {@code sum(x * mask) / max(sum(mask), 1)} of per-token values, no gradient. // (mb, T) */
  public static double maskedMean(NDArray x, NDArray mask) {
    return Masked.scalar(x.mul(mask).sum()) / Math.max(Masked.scalar(mask.sum()), 1.0);
  }

  /** {@code max |exp(logProbs - oldLogProbs) - 1|} over the masked tokens, no gradient. */
  public static double ratioMaxDeviation(NDArray logProbs, NDArray oldLogProbs, NDArray mask) {
    NDArray ratio = logProbs.stopGradient().sub(oldLogProbs).exp(); // (mb, T)
    return Masked.scalar(ratio.sub(1).abs().mul(mask).max());
  }

  /** float copies, for {@code NDManager.create}. */
  public static float[] floats(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }

  /** A (B, T) array as B rows of doubles. */
  public static double[][] rows(NDArray x) {
    int b = Math.toIntExact(x.getShape().get(0));
    int t = Math.toIntExact(x.getShape().get(1));
    float[] flat = x.toFloatArray();
    double[][] out = new double[b][t];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        out[i][j] = flat[i * t + j];
      }
    }
    return out;
  }

  /**
   * The step's padded batch; with {@code maskTruncated} (TRL {@code mask_truncated_completions})
   * completions whose last token is neither EOS nor pad get an all-zero mask row.
   */
  public static ResponseBatch batch(
      NDManager m, Rollout rollout, long padId, long eosId, boolean maskTruncated) {
    ResponseBatch b = ResponseBatch.of(m, rollout.queries(), rollout.responses(), padId);
    if (!maskTruncated) {
      return b;
    }
    boolean[] truncated =
        TruncatedCompletions.truncated(completions(rollout), (int) eosId, (int) padId);
    NDArray mask = TruncatedCompletions.mask(b.mask(), truncated); // (B, T)
    return new ResponseBatch(b.ids(), b.attentionMask(), b.responses(), mask, b.queryWidth());
  }

  /** TRL's {@code completions/*} length metrics of the rollout. */
  public static Map<String, Double> completionMetrics(Rollout rollout, long padId, long eosId) {
    return TruncatedCompletions.metrics(completions(rollout), (int) eosId, (int) padId);
  }
}
