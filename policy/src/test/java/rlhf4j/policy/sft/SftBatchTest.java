package rlhf4j.policy.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SftBatchTest {

  @Test
  void completionOnlyRowWeighsOnlyCompletionTokens() {
    SftExample e = SftExample.of(new long[] {5, 6, 7}, new long[] {8, 9});
    SftBatch.Row only = SftBatch.row(e, true, 0);
    assertArrayEquals(new long[] {5, 6, 7, 8, 9}, only.ids());
    assertArrayEquals(new float[] {0, 0, 0, 1, 1}, only.tokenWeights());
    assertEquals(2.0, only.targetWeight());
    SftBatch.Row all = SftBatch.row(e, false, 0);
    assertArrayEquals(new float[] {1, 1, 1, 1, 1}, all.tokenWeights());
    assertEquals(4.0, all.targetWeight(), "the first token is never a target");
  }

  @Test
  void truncationKeepsTheStart() {
    SftExample e = SftExample.of(new long[] {5, 6}, new long[] {7, 8, 9});
    SftBatch.Row r = SftBatch.row(e, true, 3);
    assertArrayEquals(new long[] {5, 6, 7}, r.ids());
    assertArrayEquals(new float[] {0, 0, 1}, r.tokenWeights());
  }

  @Test
  void paddingIsOnTheRightWithZeroMaskAndWeight() {
    SftBatch b =
        SftBatch.pad(
            List.of(
                new SftBatch.Row(new long[] {1, 2, 3, 4}, new float[] {1, 0, 1, 1}),
                new SftBatch.Row(new long[] {7, 8}, new float[] {1, 1})));
    assertEquals(2, b.rows());
    assertEquals(4, b.length());
    assertArrayEquals(new long[] {1, 2, 3, 4, 7, 8, 0, 0}, b.ids());
    assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 0, 0}, b.attentionMask());
    // target t+1 at position t
    assertArrayEquals(new float[] {0, 1, 1, 1, 0, 0}, b.weights());
    assertEquals(6, b.tokens());
  }

  @Test
  void packingCutsTheConcatenatedStreamIntoFullRows() {
    List<SftBatch.Row> rows =
        List.of(
            new SftBatch.Row(new long[] {1, 2, 3}, new float[] {0, 1, 1}),
            new SftBatch.Row(new long[] {4, 5, 6, 7}, new float[] {0, 0, 1, 1}),
            new SftBatch.Row(new long[] {8}, new float[] {1}));
    List<SftBatch.Row> packed = SftBatch.pack(rows, 3);
    assertEquals(3, packed.size());
    assertArrayEquals(new long[] {1, 2, 3}, packed.get(0).ids());
    assertArrayEquals(new long[] {4, 5, 6}, packed.get(1).ids());
    assertArrayEquals(new float[] {0, 0, 1}, packed.get(1).tokenWeights());
    assertArrayEquals(new long[] {7, 8}, packed.get(2).ids());
    assertArrayEquals(new float[] {1, 1}, packed.get(2).tokenWeights());
  }
}
