package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
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
  void lengthMetricsFollowTrlIncludingTheNoTerminatedCase() {
    Map<String, Double> m =
        TruncatedCompletions.metrics(
            List.of(new int[] {5, 2}, new int[] {5, 6, 7, 8}, new int[] {4, 4, 4, 2}), 2, 0);
    assertEquals(10.0 / 3, m.get("completions/mean_length"), 1e-12);
    assertEquals(2.0, m.get("completions/min_length"), 0);
    assertEquals(4.0, m.get("completions/max_length"), 0);
    assertEquals(1.0 / 3, m.get("completions/clipped_ratio"), 1e-12);
    assertEquals(3.0, m.get("completions/mean_terminated_length"), 0);
    assertEquals(2.0, m.get("completions/min_terminated_length"), 0);
    assertEquals(4.0, m.get("completions/max_terminated_length"), 0);
    Map<String, Double> none = TruncatedCompletions.metrics(List.of(new int[] {5, 6}), 2, 0);
    assertEquals(0.0, none.get("completions/mean_terminated_length"), 0);
    assertEquals(1.0, none.get("completions/clipped_ratio"), 0);
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
