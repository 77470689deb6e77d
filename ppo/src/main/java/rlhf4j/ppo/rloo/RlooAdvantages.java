package rlhf4j.ppo.rloo;

import rlhf4j.ppo.grpo.GroupAdvantages;
import rlhf4j.ppo.grpo.NanStats;

/**
 * RLOO's advantages as TRL v1.9's {@code RLOOTrainer._generate_and_score_completions} computes
 * them: the reward (NaN for an unscorable completion) optionally clipped, minus {@code beta *
 * sum_t((oldLogp - refLogp) * m)} (k1 KL at sequence level), then {@code A_i = r_i - (sum_j r_j -
 * r_i) / (S - 1)} where the sum and the count S run over the group's scorable completions; then, if
 * asked, {@code (A - nanmean(A)) / (nanstd(A) + 1e-4)} over the batch; finally NaN becomes 0. Rows
 * {@code [g*G, (g+1)*G)} share a prompt. Combine several reward functions first with {@link
 * rlhf4j.ppo.grpo.RewardAggregation#weightedSum}; log {@code reward}, {@code reward_std}, {@code
 * rewards/<func>/mean} and {@code frac_reward_zero_std} with {@link
 * rlhf4j.ppo.grpo.RewardAggregation#metrics} and {@link Result#stdZero()}.
 */
public final class RlooAdvantages {

  /** Added to the std when normalising (TRL {@code nanstd(advantages) + 1e-4}). */
  public static final double STD_EPS = 1e-4;

  private RlooAdvantages() {}

  /**
   * Everything the estimator produces.
   *
   * @param rewards (N) rewards after clipping and the KL penalty, NaN for unscorable completions
   * @param advantages (N) advantages, never NaN
   * @param stdZero (N / G) whether each group's reward std is zero (for {@code
   *     frac_reward_zero_std})
   * @param kl masked mean of the per-token k1 KL (TRL {@code kl}), NaN when beta is 0
   */
  public record Result(double[] rewards, double[] advantages, boolean[] stdZero, double kl) {}

  /**
   * Advantages from combined rewards and log-probs.
   *
   * @param rewards (N) weighted rewards, NaN for unscorable completions
   * @param oldLogProbs (N, T) log-probs at generation time
   * @param refLogProbs (N, T) reference log-probs; may be null when {@code beta == 0}
   * @param mask (N, T) completion mask
   * @param beta KL coefficient ({@code beta})
   * @param numGenerations G, must divide N
   * @param normalizeAdvantages TRL {@code normalize_advantages}
   * @param rewardClipRange {@code {min, max}} or null (TRL {@code reward_clip_range})
   */
  public static Result compute(
      double[] rewards,
      double[][] oldLogProbs,
      double[][] refLogProbs,
      double[][] mask,
      double beta,
      int numGenerations,
      boolean normalizeAdvantages,
      double[] rewardClipRange) {
    int n = rewards.length;
    GroupAdvantages.checkGroups(n, numGenerations);
    double[] r = rewards.clone(); // (N)
    if (rewardClipRange != null) {
      for (int i = 0; i < n; i++) {
        r[i] = Math.min(Math.max(r[i], rewardClipRange[0]), rewardClipRange[1]); // NaN stays NaN
      }
    }
    double kl = Double.NaN;
    if (beta != 0.0) {
      if (refLogProbs == null || oldLogProbs == null || mask == null) {
        throw new IllegalArgumentException(
            "beta is " + beta + " but old/reference log-probs or the mask are missing");
      }
      double klSum = 0;
      double tokens = 0;
      for (int i = 0; i < n; i++) {
        double seqKl = 0;
        for (int t = 0; t < mask[i].length; t++) {
          seqKl += (oldLogProbs[i][t] - refLogProbs[i][t]) * mask[i][t];
          tokens += mask[i][t];
        }
        klSum += seqKl;
        r[i] -= beta * seqKl;
      }
      kl = klSum / Math.max(tokens, 1.0);
    }

    double[] advantages = new double[n];
    boolean[] stdZero = new boolean[n / numGenerations];
    for (int g = 0, start = 0; start < n; g++, start += numGenerations) {
      int end = start + numGenerations;
      double groupStd = numGenerations > 1 ? NanStats.nanstd(r, start, end) : 0.0;
      stdZero[g] = NanStats.isZero(groupStd);
      double sum = 0;
      int scorable = 0;
      for (int i = start; i < end; i++) {
        if (!Double.isNaN(r[i])) {
          sum += r[i];
          scorable++;
        }
      }
      for (int i = start; i < end; i++) {
        if (numGenerations == 1) {
          advantages[i] = 0.0;
        } else {
          double baseline = (sum - r[i]) / (scorable - 1); // NaN for an unscorable row
          advantages[i] = r[i] - baseline;
        }
      }
    }
    if (normalizeAdvantages) {
      double mean = NanStats.nanmean(advantages);
      double std = NanStats.nanstd(advantages);
      for (int i = 0; i < n; i++) {
        advantages[i] = (advantages[i] - mean) / (std + STD_EPS);
      }
    }
    for (int i = 0; i < n; i++) {
      if (Double.isNaN(advantages[i])) {
        advantages[i] = 0.0;
      }
    }
    return new Result(r, advantages, stdZero, kl);
  }
}
