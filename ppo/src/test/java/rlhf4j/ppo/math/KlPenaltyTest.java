package rlhf4j.ppo.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import rlhf4j.ppo.ManagerFixture;

class KlPenaltyTest extends ManagerFixture {

  @Test
  void tokenEstimatorsFollowTheirFormulas() {
    NDArray lp = manager.create(new double[][] {{-1.0, -2.0}});
    NDArray ref = manager.create(new double[][] {{-1.5, -1.0}});
    // logp - ref = {0.5, -1}
    assertArrayEquals(
        new double[] {0.5, -1}, KlPenalty.perToken(lp, ref, KlPenalty.KL).toDoubleArray(), 1e-15);
    assertArrayEquals(
        new double[] {0.5, 1}, KlPenalty.perToken(lp, ref, KlPenalty.ABS).toDoubleArray(), 1e-15);
    assertArrayEquals(
        new double[] {0.125, 0.5},
        KlPenalty.perToken(lp, ref, KlPenalty.MSE).toDoubleArray(),
        1e-15);
  }

  @Test
  void fullKlSumsOverTheVocabulary() {
    double[] p = {0.5, 0.25, 0.25};
    double[] q = {0.25, 0.25, 0.5};
    // KL(p || q) = 0.5 ln 2 + 0 + 0.25 ln 0.5 = 0.25 ln 2
    Shape shape = new Shape(1, 2, 3); // (B, T, V)
    NDArray lp = manager.create(concat(log(p), log(q)), shape);
    NDArray ref = manager.create(concat(log(q), log(q)), shape);
    assertArrayEquals(
        new double[] {0.25 * Math.log(2), 0},
        KlPenalty.perToken(lp, ref, KlPenalty.FULL).toDoubleArray(),
        1e-12);
  }

  @Test
  void fullKlRejectsPerTokenLogProbs() {
    NDArray lp = manager.create(new double[][] {{-1.0}});
    assertThrows(IllegalArgumentException.class, () -> KlPenalty.perToken(lp, lp, KlPenalty.FULL));
  }

  private static double[] concat(double[] a, double[] b) {
    double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static double[] log(double[] p) {
    double[] out = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      out[i] = Math.log(p[i]);
    }
    return out;
  }
}
