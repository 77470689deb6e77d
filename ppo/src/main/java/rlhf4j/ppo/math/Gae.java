package rlhf4j.ppo.math;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import rlhf4j.policy.model.Masked;

/**
 * Generalized advantage estimation (Schulman et al. 2016) exactly as TRL's classic {@code
 * PPOTrainer.compute_advantages}: values and rewards are masked, the recursion runs over the whole
 * padded length with {@code V_T = 0}, {@code returns = A + V}, then the advantages are whitened
 * over the mask (always).
 */
public final class Gae {

  private Gae() {}

  /**
   * GAE outputs.
   *
   * @param values (B, T) {@code values * mask}, the old values the value loss clips around
   * @param advantages (B, T) masked-whitened advantages (every position transformed), no gradient
   * @param returns (B, T) {@code rawAdvantages + values}, no gradient
   */
  public record Result(NDArray values, NDArray advantages, NDArray returns) {}

  /**
   * Advantages and returns.
   *
   * @param values (B, T) value estimates of the rollout
   * @param rewards (B, T) per-token rewards from {@link Rewards#compute}
   * @param mask (B, T) response mask
   * @param gamma discount
   * @param lam GAE lambda
   * @param whitenRewards whiten the masked rewards first (keeping their mean), as TRL {@code
   *     whiten_rewards}
   */
  public static Result compute(
      NDArray values,
      NDArray rewards,
      NDArray mask,
      double gamma,
      double lam,
      boolean whitenRewards) {
    NDArray m = Masked.asType(mask, values);
    NDArray maskedValues = values.mul(m); // (B, T)
    NDArray maskedRewards = rewards.mul(m); // (B, T)
    if (whitenRewards) {
      maskedRewards = Masked.whiten(maskedRewards, m, false);
    }
    NDArray raw = rawAdvantages(maskedValues, maskedRewards, gamma, lam); // (B, T)
    NDArray returns = raw.add(maskedValues); // (B, T)
    NDArray advantages = Masked.whiten(raw, m, true); // (B, T)
    return new Result(maskedValues, advantages.stopGradient(), returns.stopGradient());
  }

  /**
   * The GAE recursion over every position, with no masking or whitening: {@code delta_t = r_t +
   * gamma V_{t+1} - V_t} ({@code V_T = 0}), {@code A_t = delta_t + gamma lam A_{t+1}}.
   *
   * @param values (B, T)
   * @param rewards (B, T)
   * @return (B, T) raw advantages
   */
  public static NDArray rawAdvantages(NDArray values, NDArray rewards, double gamma, double lam) {
    if (!values.getShape().equals(rewards.getShape()) || values.getShape().dimension() != 2) {
      throw new IllegalArgumentException(
          "values and rewards must both be (B, T), got "
              + values.getShape()
              + " and "
              + rewards.getShape());
    }
    int t = (int) values.getShape().get(1);
    NDArray[] reversed = new NDArray[t];
    NDArray lastGaeLam = null; // (B)
    for (int i = t - 1; i >= 0; i--) {
      NDArray delta = rewards.get(new NDIndex(":, {}", i)); // (B)
      if (i < t - 1) {
        delta = delta.add(values.get(new NDIndex(":, {}", i + 1)).mul(gamma));
      }
      delta = delta.sub(values.get(new NDIndex(":, {}", i))); // (B)
      lastGaeLam = lastGaeLam == null ? delta : delta.add(lastGaeLam.mul(gamma * lam)); // (B)
      reversed[i] = lastGaeLam;
    }
    return NDArrays.stack(new NDList(reversed), 1); // (B, T)
  }
}
