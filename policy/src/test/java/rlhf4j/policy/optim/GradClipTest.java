package rlhf4j.policy.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GradClipTest {

  @Test
  void clipsGlobalNormFiveToOne() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray a = OptimFixtures.trainable(manager, new float[] {0f, 0f}, 2);
      NDArray b = OptimFixtures.trainable(manager, new float[] {0f}, 1);
      NDArray untouched = OptimFixtures.trainable(manager, new float[] {0f}, 1);
      Map<String, NDArray> params = OptimFixtures.params("a", a, "b", b, "untouched", untouched);
      OptimFixtures.setGradients(params, Map.of("a", new float[] {3f, 0f}, "b", new float[] {-4f}));
      double norm = GradClip.clipGlobalNorm(params, 1.0);
      assertEquals(5.0, norm, 1e-6);
      double scale = 1.0 / (5.0 + 1e-6);
      assertArrayEquals(new float[] {(float) (3 * scale), 0f}, OptimFixtures.gradient(a), 1e-7f);
      assertArrayEquals(new float[] {(float) (-4 * scale)}, OptimFixtures.gradient(b), 1e-7f);
      // a second call sees the clipped norm
      assertEquals(1.0, GradClip.clipGlobalNorm(params, 1.0), 1e-6);
    }
  }

  @Test
  void leavesGradientsBelowTheLimitUnchanged() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray a = OptimFixtures.trainable(manager, new float[] {0f, 0f}, 2);
      Map<String, NDArray> params = OptimFixtures.params("a", a);
      OptimFixtures.setGradients(params, Map.of("a", new float[] {0.3f, -0.4f}));
      assertEquals(0.5, GradClip.clipGlobalNorm(params, 1.0), 1e-7);
      assertArrayEquals(new float[] {0.3f, -0.4f}, OptimFixtures.gradient(a));
    }
  }

  @Test
  void noGradientsGiveZeroNorm() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray a = OptimFixtures.trainable(manager, new float[] {1f}, 1);
      assertEquals(0.0, GradClip.clipGlobalNorm(OptimFixtures.params("a", a), 1.0));
    }
  }

  @Test
  void rejectsNonPositiveMaxNorm() {
    assertThrows(IllegalArgumentException.class, () -> GradClip.clipGlobalNorm(Map.of(), 0));
  }
}
