package rlhf4j.ppo.math;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;
import rlhf4j.policy.model.Masked;

/**
 * Scalar statistics under TRL's classic key names ({@code record_step_stats} and {@code loss}), so
 * curves compare with TRL runs. Per-minibatch keys come without the {@code ppo/} prefix that TRL
 * adds when it averages them over the step.
 */
public final class PpoStats {

  private PpoStats() {}

  /**
   * Rollout-level statistics: {@code objective/kl} (batch mean of the masked per-row KL sum),
   * {@code objective/entropy} (batch mean of the masked per-row sum of {@code -logp}), {@code
   * objective/kl_coef}, {@code ppo/mean_non_score_reward} (masked mean), {@code ppo/mean_scores},
   * {@code ppo/std_scores} (unbiased, NaN for one score, as torch).
   *
   * @param kls (B, T) per-token KL
   * @param logProbs (B, T) rollout log-probs
   * @param nonScoreRewards (B, T)
   * @param scores (B)
   * @param mask (B, T)
   * @param klCoef the coefficient used for this step's rewards
   */
  public static Map<String, Double> step(
      NDArray kls,
      NDArray logProbs,
      NDArray nonScoreRewards,
      NDArray scores,
      NDArray mask,
      double klCoef) {
    NDArray m = Masked.asType(mask, kls);
    Map<String, Double> stats = new LinkedHashMap<>();
    stats.put("objective/kl", Masked.scalar(kls.mul(m).sum(new int[] {1}).mean()));
    stats.put("objective/kl_coef", klCoef);
    stats.put("objective/entropy", Masked.scalar(logProbs.neg().mul(m).sum(new int[] {1}).mean()));
    stats.put("ppo/mean_non_score_reward", Masked.scalar(Masked.mean(nonScoreRewards, m)));
    double[] s = toDoubles(scores);
    double sum = 0;
    for (double v : s) {
      sum += v;
    }
    double mean = sum / s.length;
    double squares = 0;
    for (double v : s) {
      squares += (v - mean) * (v - mean);
    }
    stats.put("ppo/mean_scores", mean);
    stats.put("ppo/std_scores", Math.sqrt(squares / (s.length - 1)));
    return stats;
  }

  /**
   * Minibatch statistics of one {@link PpoLoss#compute} call: {@code loss/policy}, {@code
   * loss/value} (unscaled), {@code loss/total}, {@code policy/entropy}, {@code policy/approxkl},
   * {@code policy/policykl}, {@code policy/clipfrac}, {@code policy/advantages_mean}, {@code
   * returns/mean}, {@code returns/var}, {@code val/vpred}, {@code val/error}, {@code val/clipfrac},
   * {@code val/mean}, {@code val/var} (variances unbiased).
   *
   * @param result the loss result
   * @param entropy (B, T) per-token entropy ({@link Entropy#fromLogits})
   * @param advantages (B, T)
   * @param returns (B, T)
   * @param oldValues (B, T) masked rollout values
   * @param vpreds (B, T) new value predictions
   * @param mask (B, T)
   */
  public static Map<String, Double> minibatch(
      PpoLoss.Result result,
      NDArray entropy,
      NDArray advantages,
      NDArray returns,
      NDArray oldValues,
      NDArray vpreds,
      NDArray mask) {
    NDArray v = vpreds.stopGradient(); // (B, T)
    Map<String, Double> stats = new LinkedHashMap<>();
    stats.put("loss/policy", Masked.scalar(result.pgLoss()));
    stats.put("loss/value", Masked.scalar(result.vfLoss()));
    stats.put("loss/total", Masked.scalar(result.loss()));
    stats.put("policy/entropy", Masked.scalar(Masked.mean(entropy.stopGradient(), mask)));
    stats.put("policy/approxkl", Masked.scalar(result.approxKl()));
    stats.put("policy/policykl", Masked.scalar(result.policyKl()));
    stats.put("policy/clipfrac", Masked.scalar(result.pgClipFrac()));
    stats.put("policy/advantages_mean", Masked.scalar(Masked.mean(advantages, mask)));
    stats.put("returns/mean", Masked.scalar(Masked.mean(returns, mask)));
    stats.put("returns/var", Masked.scalar(Masked.var(returns, mask, true)));
    stats.put("val/vpred", Masked.scalar(Masked.mean(v, mask)));
    stats.put("val/error", Masked.scalar(Masked.mean(v.sub(returns).square(), mask)));
    stats.put("val/clipfrac", Masked.scalar(result.vfClipFrac()));
    stats.put("val/mean", Masked.scalar(Masked.mean(oldValues, mask)));
    stats.put("val/var", Masked.scalar(Masked.var(oldValues, mask, true)));
    return stats;
  }

  /**
   * {@code objective/scores} (mean raw score), {@code objective/logprobs} and {@code
   * objective/ref_logprobs} (masked means).
   *
   * @param rawScores (B) the reward function's scores, before any scaling
   * @param logProbs (B, T) rollout log-probs
   * @param refLogProbs (B, T) reference log-probs
   * @param mask (B, T)
   */
  public static Map<String, Double> objective(
      float[] rawScores, NDArray logProbs, NDArray refLogProbs, NDArray mask) {
    double sum = 0;
    for (float s : rawScores) {
      sum += s;
    }
    Map<String, Double> stats = new LinkedHashMap<>();
    stats.put("objective/scores", sum / rawScores.length);
    stats.put("objective/logprobs", Masked.scalar(Masked.mean(logProbs, mask)));
    stats.put("objective/ref_logprobs", Masked.scalar(Masked.mean(refLogProbs, mask)));
    return stats;
  }

  /**
   * The optimisation phase's averaged mini-batch statistics under TRL's {@code ppo/} prefix, then
   * {@code ppo/val/var_explained}.
   *
   * @param minibatchMeans averages of {@link #minibatch} and the update's own keys, unprefixed
   */
  public static Map<String, Double> update(Map<String, Double> minibatchMeans) {
    Map<String, Double> stats = new LinkedHashMap<>();
    minibatchMeans.forEach((k, v) -> stats.put("ppo/" + k, v));
    stats.put(
        "ppo/val/var_explained",
        varExplained(minibatchMeans.get("val/error"), minibatchMeans.get("returns/var")));
    return stats;
  }

  /** TRL {@code ppo/val/var_explained}: {@code 1 - val/error / returns/var}. */
  public static double varExplained(double valError, double returnsVar) {
    return 1 - valError / returnsVar;
  }

  private static double[] toDoubles(NDArray array) {
    return array.toType(DataType.FLOAT64, false).toDoubleArray();
  }
}
