package rlhf4j.ppo.grpo;

import java.util.List;
import java.util.Map;

/**
 * GRPO's group-relative advantages, as TRL v1.9 computes them in {@code
 * GRPOTrainer._generate_and_score_completions} ({@code multi_objective_aggregation =
 * "sum_then_normalize"}, the default): {@code A_i = (r_i - nanmean_group(r)) / (std + 1e-4)} with
 * the std of the group ({@link ScaleRewards#GROUP}), of the batch ({@link ScaleRewards#BATCH}) or
 * no division ({@link ScaleRewards#NONE}). Completions are grouped contiguously: rows {@code [g*G,
 * (g+1)*G)} share a prompt. An unscorable completion (NaN reward) is left out of the mean and std
 * and its advantage is 0; so is every advantage that comes out NaN (a group with one scorable
 * completion under {@code GROUP}).
 */
public final class GroupAdvantages {

  /** Added to the std before dividing (TRL {@code std_rewards + 1e-4}). */
  public static final double STD_EPS = 1e-4;

  private GroupAdvantages() {}

  /**
   * Everything the estimator produces.
   *
   * @param rewards (N) weighted rewards, NaN for unscorable completions
   * @param advantages (N) advantages, never NaN
   * @param std (N) the std each advantage was (or, under NONE, would have been) divided by
   * @param stdZero (N) {@code isclose(std, 0)}, TRL's {@code is_std_zero}
   * @param metrics {@code reward}, {@code reward_std}, {@code rewards/<func>/mean|std}, {@code
   *     frac_reward_zero_std}
   */
  public record Result(
      double[] rewards,
      double[] advantages,
      double[] std,
      boolean[] stdZero,
      Map<String, Double> metrics) {}

  /**
   * Advantages from the per-function scores.
   *
   * @param rewardsPerFunc (N, K) scores, NaN where a function gave none
   * @param weights (K) {@code reward_weights}
   * @param funcNames (K) reward-function names for the metric keys
   * @param numGenerations G, must divide N
   * @param scale {@code scale_rewards}
   */
  public static Result compute(
      double[][] rewardsPerFunc,
      double[] weights,
      List<String> funcNames,
      int numGenerations,
      ScaleRewards scale) {
    double[] rewards = RewardAggregation.weightedSum(rewardsPerFunc, weights); // (N)
    double[] advantages = new double[rewards.length];
    double[] std = new double[rewards.length];
    fromRewards(rewards, numGenerations, scale, advantages, std);
    boolean[] stdZero = new boolean[rewards.length];
    for (int i = 0; i < rewards.length; i++) {
      stdZero[i] = NanStats.isZero(std[i]);
    }
    Map<String, Double> metrics =
        RewardAggregation.metrics(rewardsPerFunc, weights, funcNames, stdZero);
    return new Result(rewards, advantages, std, stdZero, metrics);
  }

  /**
   * The advantage step alone, on already combined rewards.
   *
   * @param rewards (N) rewards, NaN for unscorable completions
   * @param numGenerations G, must divide N
   * @param scale {@code scale_rewards}
   * @return (N) advantages, NaN replaced by 0
   */
  public static double[] fromRewards(double[] rewards, int numGenerations, ScaleRewards scale) {
    return fromRewards(
        rewards, numGenerations, scale, new double[rewards.length], new double[rewards.length]);
  }

  private static double[] fromRewards(
      double[] rewards, int numGenerations, ScaleRewards scale, double[] advantages, double[] std) {
    int n = rewards.length;
    checkGroups(n, numGenerations);
    double batchStd = n > 1 ? NanStats.nanstd(rewards) : 0.0;
    for (int start = 0; start < n; start += numGenerations) {
      int end = start + numGenerations;
      double mean = NanStats.nanmean(rewards, start, end);
      double groupStd = numGenerations > 1 ? NanStats.nanstd(rewards, start, end) : 0.0;
      for (int i = start; i < end; i++) {
        std[i] = scale == ScaleRewards.BATCH ? batchStd : groupStd;
        double a = rewards[i] - mean;
        if (scale != ScaleRewards.NONE) {
          a = a / (std[i] + STD_EPS);
        }
        advantages[i] = Double.isNaN(a) ? 0.0 : a;
      }
    }
    return advantages;
  }

  /**
   * Refuses {@code n} completions that do not split into groups of {@code numGenerations}.
   *
   * @throws IllegalArgumentException naming both numbers
   */
  public static void checkGroups(int n, int numGenerations) {
    if (numGenerations < 1 || n % numGenerations != 0) {
      throw new IllegalArgumentException(
          "numGenerations must be >= 1 and divide the number of completions, got "
              + numGenerations
              + " and "
              + n
              + "; generate numGenerations completions for every prompt");
    }
  }
}
