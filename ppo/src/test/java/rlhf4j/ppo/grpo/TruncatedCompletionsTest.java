package rlhf4j.ppo.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

class TruncatedCompletionsTest {

  @Test
  void aCompletionEndingInNeitherEosNorPadIsTruncated() {
    boolean[] t =
        TruncatedCompletions.truncated(
            List.of(new int[] {5, 6, 2}, new int[] {5, 6, 7}, new int[] {9, 0}, new int[] {}),
            2,
            0);
    assertArrayEquals(new boolean[] {false, true, false, true}, t);
    assertEquals(0.5, TruncatedCompletions.clippedRatio(t), 0);
  }

  @Test
  void maskingZeroesTheTruncatedRowsOnly() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray mask = m.create(new float[][] {{1, 1, 0}, {1, 1, 1}});
      NDArray out = TruncatedCompletions.mask(mask, new boolean[] {false, true});
      assertArrayEquals(new float[] {1, 1, 0, 0, 0, 0}, out.toFloatArray(), 0);
      assertThrows(
          IllegalArgumentException.class,
          () -> TruncatedCompletions.mask(mask, new boolean[] {true}));
    }
  }
}
