package rlhf4j.ppo.math;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import rlhf4j.policy.model.Masked;

/**
 * KL-penalised per-token rewards as in TRL's classic {@code PPOTrainer.compute_rewards}: {@code r_t
 * = -klCoef * kl_t} on every position, plus the sequence score at the last unmasked position of
 * each row.
 */
public final class Rewards {

  private Rewards() {}

  /**
   * Per-token rewards and their parts.
   *
   * @param rewards (B, T) {@code nonScoreRewards} plus the score at each row's last unmasked token
   * @param nonScoreRewards (B, T) {@code -klCoef * kls}, on every position
   * @param kls (B, T) the per-token KL penalty, on every position
   */
  public record Result(NDArray rewards, NDArray nonScoreRewards, NDArray kls) {}

  /**
   * Computes the per-token rewards.
   *
   * @param scores (B) one score per sequence
   * @param logProbs (B, T) or (B, T, V) for {@link KlPenalty#FULL}
   * @param refLogProbs same shape as {@code logProbs}
   * @param mask (B, T) response mask; every row needs at least one unmasked position
   * @param klCoef the KL coefficient beta
   * @param kind the KL estimator
   */
  public static Result compute(
      NDArray scores,
      NDArray logProbs,
      NDArray refLogProbs,
      NDArray mask,
      double klCoef,
      KlPenalty kind) {
    NDArray kls = KlPenalty.perToken(logProbs, refLogProbs, kind); // (B, T)
    if (!mask.getShape().equals(kls.getShape())) {
      throw new IllegalArgumentException(
          "mask must be (B, T) like the per-token KL, got "
              + mask.getShape()
              + " and "
              + kls.getShape());
    }
    if (scores.getShape().dimension() != 1 || scores.size() != kls.getShape().get(0)) {
      throw new IllegalArgumentException(
          "scores must be (B) with one score per row, got "
              + scores.getShape()
              + " for B = "
              + kls.getShape().get(0));
    }
    NDArray nonScoreRewards = kls.mul(-klCoef); // (B, T)
    NDArray atLast = lastTokenOneHot(asType(mask, kls)); // (B, T)
    NDArray rewards = nonScoreRewards.add(atLast.mul(asType(scores, kls).expandDims(1))); // (B, T)
    return new Result(rewards, nonScoreRewards, kls);
  }

  /**
   * One-hot of each row's last unmasked position.
   *
   * @param mask (B, T) 0/1
   * @return (B, T) in {@code mask}'s type if floating, else float32
   * @throws IllegalArgumentException if a row has no unmasked position
   */
  public static NDArray lastTokenOneHot(NDArray mask) {
    if (!mask.getDataType().isFloating()) {
      mask = mask.toType(DataType.FLOAT32, false);
    }
    long rows = mask.getShape().get(0);
    long t = mask.getShape().get(1);
    NDArray perRow = mask.sum(new int[] {1}); // (B)
    if (Masked.scalar(perRow.min()) <= 0) {
      throw new IllegalArgumentException(
          "every row of the response mask needs at least one unmasked token to carry its score,"
              + " got an empty row among "
              + rows
              + "; drop empty responses before the PPO step");
    }
    NDArray positions =
        mask.getManager().arange(0f, (float) t, 1f).toType(mask.getDataType(), false);
    NDArray last = mask.mul(positions).argMax(1); // (B) index of the largest unmasked position
    return last.oneHot((int) t).toType(mask.getDataType(), false); // (B, T)
  }

  private static NDArray asType(NDArray array, NDArray like) {
    return Masked.asType(array, like);
  }
}
