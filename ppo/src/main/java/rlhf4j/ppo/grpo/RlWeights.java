package rlhf4j.ppo.grpo;

import java.util.List;

/** Resolves configured reward weights ({@code reward_weights}) against the reward functions. */
public final class RlWeights {

  private RlWeights() {}

  /**
   * All 1 when {@code configured} is empty, else {@code configured} itself.
   *
   * @throws IllegalArgumentException when its size is not {@code numFuncs}
   */
  public static double[] resolve(List<Double> configured, int numFuncs) {
    if (configured.isEmpty()) {
      double[] ones = new double[numFuncs];
      java.util.Arrays.fill(ones, 1.0);
      return ones;
    }
    if (configured.size() != numFuncs) {
      throw new IllegalArgumentException(
          "rewardWeights has "
              + configured.size()
              + " entries but there are "
              + numFuncs
              + " reward functions; give one weight per function or none");
    }
    return configured.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
