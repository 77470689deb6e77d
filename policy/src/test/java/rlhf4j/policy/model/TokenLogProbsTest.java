package rlhf4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link TokenLogProbs#gatherByRows} gives {@link TokenLogProbs#gather}'s values exactly. */
class TokenLogProbsTest {
  @ParameterizedTest
  @CsvSource({"1, 1.0", "4, 1.0", "7, 0.7", "15, 1.3", "100, 1.0"})
  void slicesOfRowsGiveTheWholeLogSoftmaxsValuesBitForBit(long rowsPerSlice, double temperature) {
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = NoGrad.enter()) {
      NDArray logits = m.randomNormal(0, 3, new Shape(3, 5, 97), DataType.FLOAT32); // (B, T, V)
      NDArray labels = m.randomInteger(0, 97, new Shape(3, 5), DataType.INT64); // (B, T)
      float[] whole = TokenLogProbs.gather(logits, labels, temperature).toFloatArray();
      NDArray sliced;
      try (NDScope scope = new NDScope()) {
        sliced = TokenLogProbs.gatherByRows(logits, labels, temperature, rowsPerSlice);
        NDScope.unregister(sliced);
      }
      assertEquals(new Shape(3, 5), sliced.getShape());
      assertArrayEquals(whole, sliced.toFloatArray());
    }
  }

  @Test
  void refusesToRunWhileGradientsAreRecorded() {
    try (NDManager m = NDManager.newBaseManager()) {
      boolean before = JniUtils.isGradMode();
      JniUtils.setGradMode(true);
      try {
        NDArray logits = m.zeros(new Shape(1, 2, 4));
        NDArray labels = m.zeros(new Shape(1, 2), DataType.INT64);
        assertThrows(
            IllegalStateException.class, () -> TokenLogProbs.gatherByRows(logits, labels, 1.0));
      } finally {
        JniUtils.setGradMode(before);
      }
    }
  }
}
