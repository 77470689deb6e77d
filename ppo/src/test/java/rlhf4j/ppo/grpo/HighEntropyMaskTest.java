package rlhf4j.ppo.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class HighEntropyMaskTest {

  @Test
  void quantileInterpolatesLinearlyAsTorchDoes() {
    float[] v = {3f, 1f, 2f, 10f};
    assertEquals(1f, HighEntropyMask.quantile(v, 0), 0);
    assertEquals(10f, HighEntropyMask.quantile(v, 1), 0);
    assertEquals(2.5f, HighEntropyMask.quantile(v, 0.5), 0); // rank 1.5: halfway from 2 to 3
    // rank 2.55: 3 + 0.55 * 7, with float32 rounding: torch.quantile gives 6.850001335144043
    assertEquals(6.850001335144043f, HighEntropyMask.quantile(v, 0.85), 0);
    assertEquals(7f, HighEntropyMask.quantile(new float[] {7f}, 0.3), 0);
  }

  @Test
  void keepsActiveTokensAtOrAboveTheCutAndNoPadding() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray e = m.create(new float[][] {{0.5f, 2f, 9f}, {1f, 2f, 0f}});
      NDArray mask = m.create(new float[][] {{1, 1, 0}, {1, 1, 0}});
      // active 0.5, 2, 1, 2: the median (rank 1.5 of 0.5 1 2 2) is 1.5; padded 9 and 0 never kept
      assertArrayEquals(
          new float[] {0, 1, 0, 0, 1, 0}, HighEntropyMask.of(e, mask, 0.5).toFloatArray(), 0);
      // the top token only, ties kept
      assertArrayEquals(
          new float[] {0, 1, 0, 0, 1, 0}, HighEntropyMask.of(e, mask, 1.0).toFloatArray(), 0);
      assertArrayEquals(
          new float[] {1, 1, 0, 1, 1, 0}, HighEntropyMask.of(e, mask, 0.0).toFloatArray(), 0);
      assertArrayEquals(
          new float[6], HighEntropyMask.of(e, mask.zerosLike(), 0.5).toFloatArray(), 0);
    }
  }
}
