package rlhf4j.ppo.grpo;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Combines several reward functions' scores into one reward per completion and logs them under
 * TRL's names, as {@code GRPOTrainer._generate_and_score_completions} and {@code RLOOTrainer} do. A
 * function that cannot score a completion returns NaN for it (TRL's {@code None}); a completion no
 * function could score is <em>unscorable</em> and its reward stays NaN.
 */
public final class RewardAggregation {

  private RewardAggregation() {}

  /**
   * {@code r_i = nansum_k(w_k * r_ik)}, NaN for an unscorable row (every {@code r_ik} NaN).
   *
   * @param rewardsPerFunc (N, K) scores, NaN where a function gave none
   * @param weights (K) {@code reward_weights}
   * @return (N) rewards
   */
  public static double[] weightedSum(double[][] rewardsPerFunc, double[] weights) {
    double[] rewards = new double[rewardsPerFunc.length];
    for (int i = 0; i < rewardsPerFunc.length; i++) {
      double[] row = rewardsPerFunc[i];
      if (row.length != weights.length) {
        throw new IllegalArgumentException(
            "row "
                + i
                + " has "
                + row.length
                + " reward-function scores but there are "
                + weights.length
                + " reward weights; give one weight per reward function");
      }
      double sum = 0;
      boolean scorable = false;
      for (int k = 0; k < row.length; k++) {
        scorable |= !Double.isNaN(row[k]);
        double weighted = row[k] * weights[k];
        if (!Double.isNaN(weighted)) {
          sum += weighted;
        }
      }
      rewards[i] = scorable ? sum : Double.NaN;
    }
    return rewards;
  }

  /**
   * TRL's reward metrics: {@code rewards/<func>/mean} and {@code rewards/<func>/std} (nan-aware,
   * over the completions the function scored), {@code reward} and {@code reward_std} (over the
   * scorable completions' weighted sums) and {@code frac_reward_zero_std}.
   *
   * @param rewardsPerFunc (N, K)
   * @param weights (K)
   * @param funcNames (K) names used in the metric keys
   * @param stdZero (N or groups) whether each std was zero, from the advantage estimator
   * @return insertion-ordered, unmodifiable
   */
  public static Map<String, Double> metrics(
      double[][] rewardsPerFunc, double[] weights, List<String> funcNames, boolean[] stdZero) {
    if (funcNames.size() != weights.length) {
      throw new IllegalArgumentException(
          "got "
              + funcNames.size()
              + " reward-function names for "
              + weights.length
              + " reward weights; name every reward function once");
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (int k = 0; k < funcNames.size(); k++) {
      double[] column = NanStats.column(rewardsPerFunc, k);
      metrics.put("rewards/" + funcNames.get(k) + "/mean", NanStats.nanmean(column));
      metrics.put("rewards/" + funcNames.get(k) + "/std", NanStats.nanstd(column));
    }
    double[] rewards = weightedSum(rewardsPerFunc, weights);
    metrics.put("reward", NanStats.nanmean(rewards));
    metrics.put("reward_std", NanStats.nanstd(rewards));
    int zero = 0;
    for (boolean z : stdZero) {
      zero += z ? 1 : 0;
    }
    metrics.put(
        "frac_reward_zero_std", stdZero.length == 0 ? Double.NaN : (double) zero / stdZero.length);
    return Collections.unmodifiableMap(metrics);
  }
}
