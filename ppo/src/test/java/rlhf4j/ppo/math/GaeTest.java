package rlhf4j.ppo.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import java.util.Random;
import org.junit.jupiter.api.Test;
import rlhf4j.ppo.ManagerFixture;

class GaeTest extends ManagerFixture {

  // rewards [0, 0, 1], values [0.5, 0.6, 0.8], gamma 0.9, lam 0.8:
  // delta2 = 1 - 0.8 = 0.2; delta1 = 0.9*0.8 - 0.6 = 0.12; delta0 = 0.9*0.6 - 0.5 = 0.04
  // A2 = 0.2; A1 = 0.12 + 0.72*0.2 = 0.264; A0 = 0.04 + 0.72*0.264 = 0.23008
  private static final double[] RAW = {0.23008, 0.264, 0.2};
  private static final double[] RETURNS = {0.73008, 0.864, 1.0};
  // mean 0.23136, unbiased var 0.0010252288, (A - mean) / sqrt(var + 1e-8)
  private static final double[] WHITENED = {
    -0.03997582661838487, 1.0193835787688117, -0.9794077521504267
  };

  @Test
  void threeStepEpisodeMatchesHandComputedAdvantagesAndReturns() {
    NDArray values = manager.create(new double[][] {{0.5, 0.6, 0.8}});
    NDArray rewards = manager.create(new double[][] {{0, 0, 1}});
    NDArray mask = manager.ones(values.getShape());

    assertArrayEquals(RAW, Gae.rawAdvantages(values, rewards, 0.9, 0.8).toDoubleArray(), 1e-12);
    Gae.Result gae = Gae.compute(values, rewards, mask, 0.9, 0.8, false);
    assertArrayEquals(RETURNS, gae.returns().toDoubleArray(), 1e-12);
    assertArrayEquals(WHITENED, gae.advantages().toDoubleArray(), 1e-9);
  }

  @Test
  void paddingAfterTheEpisodeLeavesItsReturnsAndAdvantagesUnchanged() {
    NDArray values = manager.create(new double[][] {{0.5, 0.6, 0.8, 7, -3}});
    NDArray rewards = manager.create(new double[][] {{0, 0, 1, 5, 9}});
    NDArray mask = manager.create(new double[][] {{1, 1, 1, 0, 0}});

    Gae.Result gae = Gae.compute(values, rewards, mask, 0.9, 0.8, false);
    double[] returns = gae.returns().toDoubleArray();
    double[] advantages = gae.advantages().toDoubleArray();
    assertArrayEquals(RETURNS, new double[] {returns[0], returns[1], returns[2]}, 1e-12);
    assertArrayEquals(WHITENED, new double[] {advantages[0], advantages[1], advantages[2]}, 1e-9);
    assertArrayEquals(
        new double[] {0.5, 0.6, 0.8, 0, 0}, gae.values().toDoubleArray(), 0, "values are masked");
  }

  @Test
  void randomPaddedBatchMatchesPlainLoopOracle() {
    Random rng = new Random(7);
    int b = 4;
    int t = 7;
    double[][] values = new double[b][t];
    double[][] rewards = new double[b][t];
    double[][] mask = new double[b][t];
    for (int i = 0; i < b; i++) {
      int start = rng.nextInt(3);
      int end = start + 2 + rng.nextInt(t - start - 2);
      for (int j = 0; j < t; j++) {
        values[i][j] = rng.nextGaussian();
        rewards[i][j] = rng.nextGaussian();
        mask[i][j] = j >= start && j <= end ? 1 : 0;
      }
    }
    for (boolean whitenRewards : new boolean[] {false, true}) {
      Gae.Result gae =
          Gae.compute(
              manager.create(values),
              manager.create(rewards),
              manager.create(mask),
              0.99,
              0.95,
              whitenRewards);
      double[][][] expected = oracle(values, rewards, mask, 0.99, 0.95, whitenRewards);
      assertArrayEquals(flat(expected[0]), gae.advantages().toDoubleArray(), 1e-9);
      assertArrayEquals(flat(expected[1]), gae.returns().toDoubleArray(), 1e-12);
    }
  }

  /** TRL compute_advantages in plain loops: {advantages, returns}. */
  private static double[][][] oracle(
      double[][] v, double[][] r, double[][] m, double gamma, double lam, boolean whitenRewards) {
    int b = v.length;
    int t = v[0].length;
    double[][] values = new double[b][t];
    double[][] rewards = new double[b][t];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        values[i][j] = v[i][j] * m[i][j];
        rewards[i][j] = r[i][j] * m[i][j];
      }
    }
    if (whitenRewards) {
      rewards = MaskedTest.whitenOracle(rewards, m, false);
    }
    double[][] adv = new double[b][t];
    double[][] returns = new double[b][t];
    for (int i = 0; i < b; i++) {
      double last = 0;
      for (int j = t - 1; j >= 0; j--) {
        double next = j < t - 1 ? values[i][j + 1] : 0;
        double delta = rewards[i][j] + gamma * next - values[i][j];
        last = delta + gamma * lam * last;
        adv[i][j] = last;
        returns[i][j] = last + values[i][j];
      }
    }
    return new double[][][] {MaskedTest.whitenOracle(adv, m, true), returns};
  }

  static double[] flat(double[][] a) {
    return java.util.Arrays.stream(a).flatMapToDouble(java.util.Arrays::stream).toArray();
  }
}
