package rlhf4j.ppo.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.Random;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.model.Masked;
import rlhf4j.ppo.ManagerFixture;

class MaskedTest extends ManagerFixture {

  @Test
  void meanAndVarianceIgnoreMaskedPositions() {
    NDArray values = manager.create(new double[][] {{1, 2, 100}, {3, -50, 4}});
    NDArray mask = manager.create(new double[][] {{1, 1, 0}, {1, 0, 1}});
    // unmasked 1, 2, 3, 4: mean 2.5, squared deviations sum 5, biased 5/4, unbiased 5/3
    assertEquals(2.5, Masked.scalar(Masked.mean(values, mask)), 1e-15);
    assertEquals(1.25, Masked.scalar(Masked.var(values, mask, false)), 1e-15);
    assertEquals(5.0 / 3, Masked.scalar(Masked.var(values, mask, true)), 1e-15);
  }

  @Test
  void booleanMaskGivesTheSameMeanAsAFloatMask() {
    NDArray values = manager.create(new float[][] {{1, 2, 100}});
    NDArray mask = manager.create(new boolean[][] {{true, true, false}});
    assertEquals(1.5, Masked.scalar(Masked.mean(values, mask)), 1e-7);
  }

  @Test
  void whitenMatchesPlainJavaLoop() {
    Random rng = new Random(42);
    double[][] values = new double[5][9];
    double[][] mask = new double[5][9];
    for (int i = 0; i < 5; i++) {
      for (int j = 0; j < 9; j++) {
        values[i][j] = 3 * rng.nextGaussian() + 1.5;
        mask[i][j] = rng.nextDouble() < 0.6 ? 1 : 0;
      }
    }
    for (boolean shiftMean : new boolean[] {true, false}) {
      NDArray whitened =
          Masked.whiten(manager.create(values), manager.create(mask), shiftMean); // (5, 9)
      assertArrayEquals(
          GaeTest.flat(whitenOracle(values, mask, shiftMean)),
          whitened.toDoubleArray(),
          1e-12,
          "shiftMean=" + shiftMean);
    }
  }

  @Test
  void emptyMaskIsRejectedWithAClearMessage() {
    NDArray values = manager.create(new double[] {1, 2});
    NDArray mask = manager.zeros(values.getShape());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Masked.var(values, mask, false));
    assertTrue(e.getMessage().contains("all-zero mask"), e.getMessage());
  }

  @Test
  void singlePositionUnbiasedVarianceIsRejected() {
    NDArray values = manager.create(new double[] {1, 2});
    NDArray mask = manager.create(new double[] {0, 1});
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Masked.whiten(values, mask, true));
    assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
    assertEquals(0, Masked.scalar(Masked.var(values, mask, false)), 0);
  }

  /** TRL masked_whiten in plain loops (unbiased variance, eps 1e-8). */
  static double[][] whitenOracle(double[][] v, double[][] m, boolean shiftMean) {
    double sum = 0;
    double n = 0;
    for (int i = 0; i < v.length; i++) {
      for (int j = 0; j < v[i].length; j++) {
        sum += v[i][j] * m[i][j];
        n += m[i][j];
      }
    }
    double mean = sum / n;
    double sq = 0;
    for (int i = 0; i < v.length; i++) {
      for (int j = 0; j < v[i].length; j++) {
        sq += (v[i][j] - mean) * (v[i][j] - mean) * m[i][j];
      }
    }
    double var = sq / n * (n / (n - 1));
    double[][] out = new double[v.length][];
    for (int i = 0; i < v.length; i++) {
      out[i] = new double[v[i].length];
      for (int j = 0; j < v[i].length; j++) {
        out[i][j] = (v[i][j] - mean) / Math.sqrt(var + 1e-8) + (shiftMean ? 0 : mean);
      }
    }
    return out;
  }
}
