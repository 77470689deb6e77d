package rlhf4j.reward.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import rlhf4j.policy.model.Scalars;

/**
 * The pairwise (Bradley–Terry) loss of reward-model training (Ouyang et al. 2022 eq. 1; TRL {@code
 * RewardTrainer.compute_loss}):
 *
 * <pre>
 * loss = mean_i −log σ(r_c,i − r_r,i − m_i)  +  c · mean_i (r_c,i + r_r,i)²
 * </pre>
 *
 * with margins m (TRL's optional {@code margin} column) and centring coefficient c (TRL {@code
 * center_rewards_coefficient}, Eisenstein et al. 2023). {@code −log σ(z)} is computed as torch's
 * {@code softplus(−z)}, which is finite for every finite z.
 */
public final class PairwiseLoss {
  private PairwiseLoss() {}

  /**
   * The loss as a differentiable scalar.
   *
   * @param chosenRewards r_c // (B)
   * @param rejectedRewards r_r // (B)
   * @param margins m, or null for none // (B)
   * @param centerCoefficient c ≥ 0; 0 leaves the centring term out
   * @return the mean loss // ()
   */
  public static NDArray loss(
      NDArray chosenRewards, NDArray rejectedRewards, NDArray margins, double centerCoefficient) {
    if (!(centerCoefficient >= 0) || Double.isInfinite(centerCoefficient)) {
      throw new IllegalArgumentException(
          "centerCoefficient must be finite and >= 0, got " + centerCoefficient);
    }
    if (!chosenRewards.getShape().equals(rejectedRewards.getShape())) {
      throw new IllegalArgumentException(
          "chosen and rejected rewards differ in shape: "
              + chosenRewards.getShape()
              + " and "
              + rejectedRewards.getShape());
    }
    NDArray z = chosenRewards.sub(rejectedRewards); // (B)
    if (margins != null) {
      z = z.sub(margins);
    }
    NDArray loss = Activation.softPlus(z.neg()).mean(); // −log σ(z) = softplus(−z)
    if (centerCoefficient != 0) {
      // a float scalar: a double would promote the 0-d loss to float64
      loss =
          loss.add(
              Scalars.mul(chosenRewards.add(rejectedRewards).square().mean(), centerCoefficient));
    }
    return loss;
  }

  /** {@code −log σ(z)} in double, stable for every finite z. */
  public static double negLogSigmoid(double z) {
    return Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  }

  /**
   * The same loss in plain Java (double), for evaluation.
   *
   * @param margins m, or null for none
   */
  public static double loss(
      float[] chosenRewards, float[] rejectedRewards, float[] margins, double centerCoefficient) {
    int n = chosenRewards.length;
    if (rejectedRewards.length != n || (margins != null && margins.length != n)) {
      throw new IllegalArgumentException("reward and margin arrays must have the same length");
    }
    if (n == 0) {
      throw new IllegalArgumentException("no pairs");
    }
    double bt = 0;
    double centre = 0;
    for (int i = 0; i < n; i++) {
      double z =
          (double) chosenRewards[i] - rejectedRewards[i] - (margins == null ? 0 : margins[i]);
      bt += negLogSigmoid(z);
      double s = (double) chosenRewards[i] + rejectedRewards[i];
      centre += s * s;
    }
    return bt / n + centerCoefficient * centre / n;
  }

  /** Fraction of pairs with {@code r_c > r_r} (ties count as wrong). */
  public static double accuracy(float[] chosenRewards, float[] rejectedRewards) {
    if (chosenRewards.length != rejectedRewards.length || chosenRewards.length == 0) {
      throw new IllegalArgumentException("need equally many (> 0) chosen and rejected rewards");
    }
    int right = 0;
    for (int i = 0; i < chosenRewards.length; i++) {
      if (chosenRewards[i] > rejectedRewards[i]) {
        right++;
      }
    }
    return (double) right / chosenRewards.length;
  }
}
