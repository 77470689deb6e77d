package rlhf4j.policy.model.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The one normal generator behind every random initialisation. */
class RandomInitTest {
  @Test
  void sameSeedGivesSameValues() {
    float[] a = RandomInit.gaussians(new SplittableRandom(5), 100, 0.02);
    float[] b = RandomInit.gaussians(new SplittableRandom(5), 100, 0.02);
    assertArrayEquals(a, b);
  }

  @Test
  void drawsHaveTheRequestedSpread() {
    float[] v = RandomInit.gaussians(new SplittableRandom(1), 200_000, 2.0);
    double sum = 0;
    double sq = 0;
    for (float x : v) {
      sum += x;
      sq += x * x;
    }
    double mean = sum / v.length;
    assertEquals(0, mean, 0.02);
    assertEquals(2.0, Math.sqrt(sq / v.length - mean * mean), 0.02);
  }

  @Test
  void chunkedArraysHoldTheDrawsInRowMajorOrder() {
    // 3 rows of 2^19 columns: more than one chunk (2^20 values), so filled in pieces
    Shape shape = new Shape(3, 1 << 19);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = RandomInit.normal(m, new SplittableRandom(9), shape, 1.0);
      float[] flat = RandomInit.gaussians(new SplittableRandom(9), 3 << 19, 1.0);
      assertArrayEquals(flat, a.toFloatArray());
    }
  }
}
