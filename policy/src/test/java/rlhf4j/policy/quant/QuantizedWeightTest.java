package rlhf4j.policy.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Quantised weight storage checked against plain-loop oracles. */
class QuantizedWeightTest {
  private static final int OUT = 6;
  private static final int IN = 8;

  private static final float[] BIAS = {0.1f, -0.2f, 0.3f, 0f, 0.5f, -0.6f};

  /** Per-channel int8, block-wise int8 and fp16. */
  private static final QuantConfig[] CONFIGS = {
    QuantConfig.of(BaseDtype.INT8),
    QuantConfig.builder().baseDtype(BaseDtype.INT8).blockSize(2).build(),
    QuantConfig.of(BaseDtype.FP16)
  };

  /** {@code n} draws from U(−1, 1). */
  private static float[] uniform(SplittableRandom rng, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) rng.nextDouble(-1, 1);
    }
    return x;
  }

  /** y (rows, OUT) equals x·wqᵀ + BIAS computed in plain loops (x (rows, IN), wq (OUT, IN)). */
  private static void assertLinearIsThePlainLoop(float[] x, float[] wq, float[] y, String what) {
    for (int r = 0; r < x.length / IN; r++) {
      for (int o = 0; o < OUT; o++) {
        double acc = BIAS[o];
        for (int i = 0; i < IN; i++) {
          acc += x[r * IN + i] * wq[o * IN + i];
        }
        assertEquals(acc, y[r * OUT + o], 1e-5, what + ": row " + r + " out " + o);
      }
    }
  }

  /** A (6, 8) weight with one all-zero row and one outlier, seeded. */
  private static float[] weights() {
    SplittableRandom rng = new SplittableRandom(11);
    float[] w = new float[OUT * IN];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rng.nextDouble(-0.5, 0.5);
    }
    for (int j = 0; j < IN; j++) {
      w[2 * IN + j] = 0; // row 2 is zero
    }
    w[4 * IN + 3] = 7.5f; // an outlier in row 4
    return w;
  }

  /**
   * Plain-loop int8 oracle: s = a/127 with a the absmax of each group, q = round(w/a·127), ties to
   * even as torch rounds.
   */
  private static float[] int8Oracle(float[] w, int group) {
    float[] out = new float[w.length];
    for (int g0 = 0; g0 < w.length; g0 += group) {
      float a = 0;
      for (int j = 0; j < group; j++) {
        a = Math.max(a, Math.abs(w[g0 + j]));
      }
      for (int j = 0; j < group; j++) {
        float q = a == 0 ? 0 : (float) Math.rint(w[g0 + j] / a * 127f);
        out[g0 + j] = q * (a / 127f);
      }
    }
    return out;
  }

  @Test
  void int8PerChannelCodesMatchThePlainLoopOracle() {
    float[] w = weights();
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray wt = m.create(w, new Shape(OUT, IN));
      QuantizedWeight q = QuantizedWeight.quantize(wt, QuantConfig.of(BaseDtype.INT8));
      assertEquals(DataType.INT8, q.data().getDataType());
      assertEquals(new Shape(OUT), q.scale().getShape());
      float[] expected = int8Oracle(w, IN);
      float[] got = q.dequantize().toFloatArray();
      assertArrayEquals(expected, got, 1e-6f);
      float[] scale = q.scale().toFloatArray();
      for (int i = 0; i < w.length; i++) {
        assertTrue(Math.abs(got[i] - w[i]) <= scale[i / IN] / 2 + 1e-7, "element " + i);
      }
      assertEquals(0f, scale[2]); // zero row: scale 0, values 0, no NaN
      assertEquals(7.5f / 127, scale[4], 1e-7);
      assertEquals((long) OUT * IN + 4L * OUT, q.bytes());
    }
  }

  @Test
  void int8BlockwiseUsesOneScalePerBlockOfInputs() {
    float[] w = weights();
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray wt = m.create(w, new Shape(OUT, IN));
      QuantConfig c = QuantConfig.builder().baseDtype(BaseDtype.INT8).blockSize(4).build();
      QuantizedWeight q = QuantizedWeight.quantize(wt, c);
      assertEquals(new Shape(OUT, 2), q.scale().getShape());
      assertArrayEquals(int8Oracle(w, 4), q.dequantize().toFloatArray(), 1e-6f);
      // the outlier in row 4, block 0, does not coarsen block 1 of that row
      float[] s = q.scale().toFloatArray();
      assertEquals(7.5f / 127, s[4 * 2], 1e-7);
      assertTrue(s[4 * 2 + 1] < 0.5f / 127 + 1e-7);
      assertEquals((long) OUT * IN + 4L * OUT * 2, q.bytes());
    }
  }

  @Test
  void fp16KeepsElevenSignificantBits() {
    float[] w = weights();
    try (NDManager m = NDManager.newBaseManager()) {
      QuantizedWeight q =
          QuantizedWeight.quantize(m.create(w, new Shape(OUT, IN)), QuantConfig.of(BaseDtype.FP16));
      assertEquals(DataType.FLOAT16, q.data().getDataType());
      assertEquals(null, q.scale());
      float[] got = q.dequantize().toFloatArray();
      for (int i = 0; i < w.length; i++) {
        assertTrue(Math.abs(got[i] - w[i]) <= Math.abs(w[i]) * 0x1p-11f, "element " + i);
      }
      assertEquals(2L * OUT * IN, q.bytes());
    }
  }

  @Test
  void linearEqualsAPlainLoopOverTheDequantisedWeight() {
    float[] w = weights();
    // 7 rows < 8 inputs: per-channel int8 scales the product; 20 rows: dequantises first
    for (int[] lead : new int[][] {{1, 7}, {4, 5}}) {
      int rowCount = lead[0] * lead[1];
      float[] x = uniform(new SplittableRandom(5), rowCount * IN);
      for (QuantConfig c : CONFIGS) {
        try (NDManager m = NDManager.newBaseManager()) {
          QuantizedWeight q = QuantizedWeight.quantize(m.create(w, new Shape(OUT, IN)), c);
          float[] wq = q.dequantize().toFloatArray();
          NDArray xs = m.create(x, new Shape(lead[0], lead[1], IN));
          NDArray b = m.create(BIAS);
          java.util.Set<NDArray> before =
              java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
          m.getManagedArrays().stream().filter(a -> !a.isReleased()).forEach(before::add);
          NDArray yArr = q.linear(xs, b); // (lead, OUT)
          List<NDArray> made =
              m.getManagedArrays().stream()
                  .filter(a -> !a.isReleased() && !before.contains(a))
                  .toList();
          assertEquals(new Shape(lead[0], lead[1], OUT), yArr.getShape());
          assertLinearIsThePlainLoop(x, wq, yArr.toFloatArray(), c.toString());
          // the widened (OUT, IN) float32 weight is never left behind (the product's own views
          // and temporaries are, until the caller's scope or manager closes)
          assertTrue(made.contains(yArr), c + " with " + rowCount + " rows");
          assertEquals(
              0,
              made.stream()
                  .filter(a -> a.getShape().equals(new Shape(OUT, IN)))
                  .filter(a -> a.getDataType() == DataType.FLOAT32)
                  .count(),
              c + " with " + rowCount + " rows leaves a float32 copy of the weight");
        }
      }
    }
  }

  /**
   * Without a graph a weight larger than the slice is multiplied a slice of output rows at a time
   * (here 4 rows, so slices of 4 and 2); the product and the input gradient equal plain loops over
   * the dequantised weight, for both orders (7 rows scale the product, 20 the weight).
   */
  @Test
  void slicedProductsEqualPlainLoopsOverTheDequantisedWeight() {
    float[] w = weights();
    Engine.getInstance(); // loads the natives JniUtils calls
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int[] lead : new int[][] {{1, 7}, {4, 5}}) {
        int rowCount = lead[0] * lead[1];
        SplittableRandom rng = new SplittableRandom(5);
        float[] x = uniform(rng, rowCount * IN);
        float[] g = uniform(rng, rowCount * OUT);
        for (QuantConfig c : CONFIGS) {
          try (NDManager m = NDManager.newBaseManager()) {
            QuantizedWeight q = QuantizedWeight.quantize(m.create(w, new Shape(OUT, IN)), c);
            float[] wq = q.dequantize().toFloatArray();
            String what = c + " with " + rowCount + " rows";
            NDArray yArr =
                q.linear(m.create(x, new Shape(lead[0], lead[1], IN)), m.create(BIAS), 4L * IN);
            assertEquals(new Shape(lead[0], lead[1], OUT), yArr.getShape(), what);
            assertLinearIsThePlainLoop(x, wq, yArr.toFloatArray(), what);
            NDArray gxArr =
                q.linearInputGradient(m.create(g, new Shape(lead[0], lead[1], OUT)), 4L * IN);
            assertEquals(new Shape(lead[0], lead[1], IN), gxArr.getShape(), what);
            float[] gx = gxArr.toFloatArray();
            for (int r = 0; r < rowCount; r++) {
              for (int i = 0; i < IN; i++) {
                double acc = 0;
                for (int o = 0; o < OUT; o++) {
                  acc += g[r * OUT + o] * wq[o * IN + i];
                }
                assertEquals(acc, gx[r * IN + i], 1e-5, what + ": g_x row " + r + " in " + i);
              }
            }
          }
        }
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  @Test
  void rowsLookUpTheDequantisedRows() {
    float[] w = weights();
    for (QuantConfig c :
        new QuantConfig[] {
          QuantConfig.of(BaseDtype.INT8),
          QuantConfig.builder().baseDtype(BaseDtype.INT8).blockSize(4).build(),
          QuantConfig.of(BaseDtype.FP16)
        }) {
      try (NDManager m = NDManager.newBaseManager()) {
        QuantizedWeight q = QuantizedWeight.quantize(m.create(w, new Shape(OUT, IN)), c);
        float[] wq = q.dequantize().toFloatArray();
        long[] ids = {4, 0, 2, 4, 5, 1};
        float[] got = q.rows(m.create(ids, new Shape(2, 3))).toFloatArray(); // (2, 3, IN)
        for (int k = 0; k < ids.length; k++) {
          for (int j = 0; j < IN; j++) {
            assertEquals(wq[(int) ids[k] * IN + j], got[k * IN + j], 0f, c + " id " + ids[k]);
          }
        }
      }
    }
  }

  @Test
  void largeMatricesAreQuantisedInChunksWithTheSameResult() {
    int out = 3000;
    int in = 700; // 2.1M elements: three chunks
    float[] w = new float[out * in];
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rng.nextDouble(-1, 1) * (1 + i / in % 7);
    }
    try (NDManager m = NDManager.newBaseManager()) {
      QuantizedWeight q =
          QuantizedWeight.quantize(m.create(w, new Shape(out, in)), QuantConfig.of(BaseDtype.INT8));
      assertArrayEquals(int8Oracle(w, in), q.dequantize().toFloatArray(), 1e-6f);
    }
  }

  @Test
  void badInputsAreRefusedWithTheReason() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = m.zeros(new Shape(4, 6));
      QuantConfig blocks = QuantConfig.builder().baseDtype(BaseDtype.INT8).blockSize(4).build();
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> QuantizedWeight.quantize(w, blocks));
      assertTrue(e.getMessage().contains("does not divide the input width 6"), e.getMessage());
      assertThrows(
          IllegalArgumentException.class, () -> QuantizedWeight.quantize(w, QuantConfig.FP32));
      assertThrows(
          IllegalArgumentException.class,
          () -> QuantizedWeight.quantize(m.zeros(new Shape(4)), QuantConfig.of(BaseDtype.INT8)));
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> QuantConfig.builder().baseDtype(BaseDtype.FP16).blockSize(64).build());
    assertThrows(IllegalArgumentException.class, () -> QuantConfig.builder().blockSize(-1).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> QuantConfig.builder().quantizeEmbeddings(true).build());
  }

  @Test
  void baseDtypeParsesConfigValues() {
    assertEquals(BaseDtype.INT8, BaseDtype.parse("int8"));
    assertEquals(BaseDtype.FP16, BaseDtype.parse(" FP16 "));
    assertEquals(BaseDtype.FP32, BaseDtype.parse("float32"));
    assertEquals("int8", BaseDtype.INT8.toString());
    IllegalArgumentException bf16 =
        assertThrows(IllegalArgumentException.class, () -> BaseDtype.parse("bf16"));
    assertTrue(bf16.getMessage().contains("aborts the JVM"), bf16.getMessage());
    IllegalArgumentException bad =
        assertThrows(IllegalArgumentException.class, () -> BaseDtype.parse("int4"));
    assertTrue(bad.getMessage().contains("fp32, fp16, int8"), bad.getMessage());
  }
}
