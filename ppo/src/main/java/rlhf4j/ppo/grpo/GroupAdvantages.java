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
 *
 * <p>With {@link MultiObjectiveAggregation#NORMALIZE_THEN_SUM} (GDPO, TRL 1.13) each function's
 * scores are normalised within the group first and their weighted sum over the batch.
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
    return compute(
        rewardsPerFunc,
        weights,
        funcNames,
        numGenerations,
        scale,
        MultiObjectiveAggregation.SUM_THEN_NORMALIZE);
  }

  /**
   * Advantages from the per-function scores, combined as {@code aggregation} says.
   *
   * @param rewardsPerFunc (N, K) scores, NaN where a function gave none
   * @param weights (K) {@code reward_weights}
   * @param funcNames (K) reward-function names for the metric keys
   * @param numGenerations G, must divide N
   * @param scale {@code scale_rewards} (not used by {@code NORMALIZE_THEN_SUM})
   * @param aggregation {@code multi_objective_aggregation}
   */
  public static Result compute(
      double[][] rewardsPerFunc,
      double[] weights,
      List<String> funcNames,
      int numGenerations,
      ScaleRewards scale,
      MultiObjectiveAggregation aggregation) {
    double[] rewards = RewardAggregation.weightedSum(rewardsPerFunc, weights); // (N)
    double[] advantages = new double[rewards.length];
    double[] std = new double[rewards.length];
    if (aggregation == MultiObjectiveAggregation.NORMALIZE_THEN_SUM) {
      checkGroups(rewards.length, numGenerations);
      double[] normalizedSum = normalizedPerFunction(rewardsPerFunc, weights, numGenerations);
      batchNormalized(normalizedSum, advantages, std);
    } else {
      fromRewards(rewards, numGenerations, scale, advantages, std);
    }
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
   * GDPO's first half: each function's scores centred and divided by their group's std plus 1e-4,
   * then weighted and summed (NaN entries left out), NaN for an unscorable row.
   *
   * @return (N) the weighted sums of the normalised scores
   */
  private static double[] normalizedPerFunction(double[][] rpf, double[] weights, int g) {
    int n = rpf.length;
    double[] sums = new double[n];
    boolean[] scored = new boolean[n];
    for (int k = 0; k < weights.length; k++) {
      double[] column = NanStats.column(rpf, k); // (N)
      for (int start = 0; start < n; start += g) {
        double mean = NanStats.nanmean(column, start, start + g);
        double std = g > 1 ? NanStats.nanstd(column, start, start + g) : 0.0;
        for (int i = start; i < start + g; i++) {
          scored[i] |= !Double.isNaN(column[i]);
          double term = (column[i] - mean) / (std + STD_EPS) * weights[k];
          if (!Double.isNaN(term)) {
            sums[i] += term; // nansum
          }
        }
      }
    }
    for (int i = 0; i < n; i++) {
      if (!scored[i]) {
        sums[i] = Double.NaN; // unscorable: no function gave a score
      }
    }
    return sums;
  }

  /** GDPO's second half: centred and divided by the batch std plus 1e-4; NaN advantages are 0. */
  private static void batchNormalized(double[] rewards, double[] advantages, double[] std) {
    int n = rewards.length;
    double mean = NanStats.nanmean(rewards);
    double batchStd = n > 1 ? NanStats.nanstd(rewards) : 0.0;
    for (int i = 0; i < n; i++) {
      std[i] = batchStd;
      double a = (rewards[i] - mean) / (batchStd + STD_EPS);
      advantages[i] = Double.isNaN(a) ? 0.0 : a;
    }
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
