package rlhf4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** Position ids and the causal padding bias, on hand-made masks. */
class AttentionMaskTest {
  private static final float M = AttentionMask.MASKED;

  @Test
  void leftPaddingShiftsPositionIds() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray mask = m.create(new long[][] {{0, 0, 1, 1, 1}, {1, 1, 1, 1, 1}}); // (B, S)
      assertArrayEquals(
          new long[] {0, 0, 0, 1, 2, 0, 1, 2, 3, 4},
          AttentionMask.positionIds(mask, 5).toLongArray());
      assertArrayEquals(new long[] {2, 4}, AttentionMask.positionIds(mask, 1).toLongArray());
    }
  }

  @Test
  void biasMasksFutureAndPaddingKeys() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray mask = m.create(new long[][] {{0, 1, 1}}); // (1, 3)
      NDArray bias = AttentionMask.bias(mask, 3);
      assertEquals(new Shape(1, 1, 3, 3), bias.getShape());
      assertArrayEquals(
          new float[] {M, M, M, M, 0, M, M, 0, 0}, bias.toFloatArray(), 0f); // row = query
      NDArray decode = AttentionMask.bias(mask, 1); // the last query sees every real key
      assertArrayEquals(new float[] {M, 0, 0}, decode.toFloatArray(), 0f);
    }
  }

  @Test
  void maskOfTheWrongShapeIsRejected() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray mask = m.ones(new Shape(2, 4));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> AttentionMask.checked(mask, m, 2, 5));
      assertEquals("attentionMask has shape (2, 4), expected (2, 5)", e.getMessage());
    }
  }

  @Test
  void normRefusesABiasThatDoesNotFitItsKind() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = m.ones(new Shape(4));
      assertThrows(
          IllegalArgumentException.class, () -> Norm.of(NormKind.LAYER_NORM, w, null, 1e-5));
      assertThrows(IllegalArgumentException.class, () -> Norm.of(NormKind.RMS_NORM, w, w, 1e-5));
    }
  }
}
