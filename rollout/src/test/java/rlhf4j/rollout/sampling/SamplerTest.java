package rlhf4j.rollout.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SamplerTest {

  private static float[] gaussianLogits(long seed, int b, int v, double scale) {
    Random r = new Random(seed);
    float[] x = new float[b * v];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextGaussian() * scale);
    }
    return x;
  }

  private static double[] row(float[] x, int row, int v) {
    return Oracle.toDouble(Arrays.copyOfRange(x, row * v, (row + 1) * v));
  }

  private static long[] run(Sampler s, float[] x, int v, int calls) {
    int b = x.length / v;
    long[] all = new long[b * calls];
    for (int c = 0; c < calls; c++) {
      System.arraycopy(s.sample(x, v, null, null, 0L).ids(), 0, all, c * b, b);
    }
    return all;
  }

  @Test
  void sameSeedGivesSameDraws() {
    float[] x = gaussianLogits(11, 8, 100, 1.0);
    SamplingConfig c = SamplingConfig.builder().temperature(0.9).topP(0.95).seed(7).build();
    assertArrayEquals(run(new Sampler(c), x, 100, 50), run(new Sampler(c), x, 100, 50));
  }

  @Test
  void differentSeedGivesDifferentDraws() {
    float[] x = gaussianLogits(11, 8, 100, 1.0);
    long[] a = run(new Sampler(SamplingConfig.ofSeed(7)), x, 100, 50);
    long[] b = run(new Sampler(SamplingConfig.ofSeed(8)), x, 100, 50);
    int differ = 0;
    for (int i = 0; i < a.length; i++) {
      differ += a[i] != b[i] ? 1 : 0;
    }
    // 400 draws over ~100 fairly flat tokens: equal by chance only a few percent of the time
    assertTrue(differ > 300, "only " + differ + " of 400 draws differ between seeds 7 and 8");
  }

  @Test
  void seekToResumesTheSameStream() {
    float[] x = gaussianLogits(12, 4, 50, 1.0);
    Sampler first = new Sampler(SamplingConfig.ofSeed(3));
    run(first, x, 50, 5);
    long position = first.position();
    assertEquals(20, position);
    long[] continued = run(first, x, 50, 5);
    Sampler resumed = new Sampler(SamplingConfig.ofSeed(3));
    resumed.seekTo(position);
    assertArrayEquals(continued, run(resumed, x, 50, 5));
    resumed.seekTo(0); // backwards: restart from the seed
    assertArrayEquals(run(new Sampler(SamplingConfig.ofSeed(3)), x, 50, 3), run(resumed, x, 50, 3));
  }

  @Test
  void greedyPicksArgmaxWithLowestIndexOnTies() {
    float[] x = {1f, 3f, 3f, 2f, /* row 2 */ -5f, -1f, -4f, -1.5f};
    Sampler s = new Sampler(SamplingConfig.builder().greedy(true).seed(1).build());
    SampleResult r = s.sample(x, 4, null, null, 0L);
    assertArrayEquals(new long[] {1, 1}, r.ids());
    assertEquals(0, s.position(), "greedy must not consume random numbers");
    double[] lp = Oracle.logSoftmax(row(x, 0, 4), 1.0);
    assertEquals(lp[1], r.trainLogProbs()[0], 1e-12);
    assertEquals(0.0, r.filteredLogProbs()[0]);
  }

  @Test
  void temperatureZeroIsGreedyAndRecordsLogProbsAtTemperatureOne() {
    SamplingConfig c = SamplingConfig.builder().temperature(0).build();
    assertTrue(c.greedy());
    float[] x = gaussianLogits(13, 3, 30, 2.0);
    SampleResult r = new Sampler(c).sample(x, 30, null, null, 0L);
    for (int b = 0; b < 3; b++) {
      double[] xr = row(x, b, 30);
      int argmax = 0;
      for (int i = 1; i < 30; i++) {
        argmax = xr[i] > xr[argmax] ? i : argmax;
      }
      assertEquals(argmax, r.ids()[b]);
      assertEquals(Oracle.logSoftmax(xr, 1.0)[argmax], r.trainLogProbs()[b], 1e-9);
    }
  }

  @Test
  void repetitionPenaltyMatchesHandComputedValues() {
    // HF: logit < 0 -> logit * penalty, else logit / penalty; each distinct previous token once
    double[] z = {2.0, -1.0, 0.5, 3.0};
    new RepetitionPenalty(2.0).process(z, new long[] {1, 0, 1});
    assertArrayEquals(new double[] {1.0, -2.0, 0.5, 3.0}, z, 0.0);
  }

  @Test
  void repetitionPenaltyChangesGreedyChoiceAndFilteredButNotTrainLogProbs() {
    float[] x = {3f, 2f, -1f, 0f};
    long[][] previous = {{0, 2}};
    SamplingConfig c = SamplingConfig.builder().greedy(true).repetitionPenalty(2.0).build();
    SampleResult r = new Sampler(c).sample(x, 4, previous, null, 0L);
    // penalised logits: 1.5, 2, -2, 0 -> argmax 1
    assertEquals(1, r.ids()[0]);
    assertEquals(Oracle.logSoftmax(row(x, 0, 4), 1.0)[1], r.trainLogProbs()[0], 1e-12);

    Sampler sampling = new Sampler(c.toBuilder().greedy(false).seed(9).build());
    double[] penalised = {1.5, 2.0, -2.0, 0.0};
    double[] filtered = Oracle.logSoftmax(penalised, 1.0);
    double[] train = Oracle.logSoftmax(row(x, 0, 4), 1.0);
    for (int i = 0; i < 50; i++) {
      SampleResult s = sampling.sample(x, 4, previous, null, 0L);
      int id = (int) s.ids()[0];
      assertEquals(filtered[id], s.filteredLogProbs()[0], 1e-12);
      assertEquals(train[id], s.trainLogProbs()[0], 1e-12);
    }
  }

  @Test
  void repetitionPenaltyWithoutPreviousTokensIsRejected() {
    Sampler s = new Sampler(SamplingConfig.builder().repetitionPenalty(1.2).build());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> s.sample(new float[4], 4, null, null, 0L));
    assertTrue(e.getMessage().contains("previousTokens"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> s.sample(new float[4], 4, new long[][] {{4}}, null, 0L));
  }

  @Test
  void recordedLogProbsMatchThePlainJavaOracle() {
    int b = 8;
    int v = 5000;
    float[] x = gaussianLogits(14, b, v, 3.0);
    long[][] previous = new long[b][];
    Random r = new Random(15);
    for (int i = 0; i < b; i++) {
      previous[i] = r.longs(20, 0, v).toArray();
    }
    List<SamplingConfig> configs =
        List.of(
            SamplingConfig.ofSeed(1),
            SamplingConfig.builder().temperature(0.7).seed(2).build(),
            SamplingConfig.builder().temperature(1.3).topK(50).seed(3).build(),
            SamplingConfig.builder().temperature(0.7).topP(0.9).seed(4).build(),
            SamplingConfig.builder()
                .temperature(0.7)
                .topK(200)
                .topP(0.9)
                .minP(0.05)
                .repetitionPenalty(1.2)
                .seed(5)
                .build());
    for (SamplingConfig c : configs) {
      Sampler s = new Sampler(c);
      for (int call = 0; call < 5; call++) {
        SampleResult res = s.sample(x, v, previous, null, 0L);
        for (int i = 0; i < b; i++) {
          double[] xr = row(x, i, v);
          int id = (int) res.ids()[i];
          double train = Oracle.logSoftmax(xr, c.temperature())[id];
          assertEquals(train, res.trainLogProbs()[i], 1e-6, c + " row " + i);
          double[] z = Oracle.processed(xr, previous[i], c);
          assertTrue(z[id] > Double.NEGATIVE_INFINITY, c + " drew filtered-out token " + id);
          double filtered = Oracle.logSoftmax(z, 1.0)[id];
          assertEquals(filtered, res.filteredLogProbs()[i], 1e-6, c + " row " + i);
          if (!c.biasesKl()) {
            assertEquals(res.trainLogProbs()[i], res.filteredLogProbs()[i], 1e-12);
          }
        }
      }
    }
  }

  @Test
  void finishedRowsReturnPadAndDoNotShiftOtherRowsStreams() {
    float[] x = gaussianLogits(16, 3, 40, 1.0);
    boolean[] finished = {false, true, false};
    Sampler a = new Sampler(SamplingConfig.ofSeed(21));
    Sampler b = new Sampler(SamplingConfig.ofSeed(21));
    for (int call = 0; call < 20; call++) {
      SampleResult ra = a.sample(x, 40, null, finished, 99L);
      SampleResult rb = b.sample(x, 40, null, null, 99L);
      assertEquals(99L, ra.ids()[1]);
      assertEquals(SampleResult.FINISHED_LOGPROB, ra.trainLogProbs()[1]);
      assertEquals(SampleResult.FINISHED_LOGPROB, ra.filteredLogProbs()[1]);
      assertEquals(rb.ids()[0], ra.ids()[0]);
      assertEquals(rb.ids()[2], ra.ids()[2]);
      assertTrue(rb.ids()[1] < 40);
    }
  }

  @Test
  void finishedRowsMayHoldInvalidLogits() {
    float[] x = {Float.NaN, 0f, /* row 2 */ 1f, 0f};
    SampleResult r =
        new Sampler(SamplingConfig.ofSeed(1)).sample(x, 2, null, new boolean[] {true, false}, 5L);
    assertEquals(5L, r.ids()[0]);
    assertThrows(
        IllegalArgumentException.class,
        () -> new Sampler(SamplingConfig.ofSeed(1)).sample(x, 2, null, null, 5L));
  }

  @Test
  void maskedTokensAreNeverDrawnAndAllMaskedRowIsRejected() {
    float ninf = Float.NEGATIVE_INFINITY;
    float[] x = {ninf, 0f, ninf, 0f};
    Sampler s = new Sampler(SamplingConfig.ofSeed(2));
    for (int i = 0; i < 200; i++) {
      SampleResult r = s.sample(x, 4, null, null, 0L);
      assertTrue(r.ids()[0] == 1 || r.ids()[0] == 3);
      assertEquals(Math.log(0.5), r.trainLogProbs()[0], 1e-12);
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> s.sample(new float[] {ninf, ninf}, 2, null, null, 0L));
    assertTrue(e.getMessage().contains("row 0"), e.getMessage());
  }

  @Test
  void extraProcessorsRunBeforeTemperatureAndAlsoInGreedyMode() {
    LogitsProcessor banTokenTwo = (z, prev) -> z[2] = Double.NEGATIVE_INFINITY;
    float[] x = {0f, 1f, 5f, 2f};
    SampleResult g =
        new Sampler(SamplingConfig.builder().greedy(true).build(), List.of(banTokenTwo))
            .sample(x, 4, null, null, 0L);
    assertEquals(3, g.ids()[0]);
    Sampler s = new Sampler(SamplingConfig.ofSeed(4), List.of(banTokenTwo));
    double[] filtered = Oracle.logSoftmax(new double[] {0, 1, Double.NEGATIVE_INFINITY, 2}, 1.0);
    for (int i = 0; i < 100; i++) {
      SampleResult r = s.sample(x, 4, null, null, 0L);
      assertFalse(r.ids()[0] == 2);
      assertEquals(filtered[(int) r.ids()[0]], r.filteredLogProbs()[0], 1e-12);
    }
    LogitsProcessor banAll = (z, prev) -> Arrays.fill(z, Double.NEGATIVE_INFINITY);
    assertThrows(
        IllegalStateException.class,
        () -> new Sampler(SamplingConfig.ofSeed(4), List.of(banAll)).sample(x, 4, null, null, 0L));
  }

  @Test
  void ndArrayPathEqualsFloatArrayPathAndValidatesShapeAndType() {
    float[] x = gaussianLogits(17, 4, 64, 1.5);
    SamplingConfig c = SamplingConfig.builder().temperature(0.8).topK(20).seed(6).build();
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(x, new Shape(4, 64));
      SampleResult viaNd = new Sampler(c).sample(logits, null, new boolean[4], 0L);
      SampleResult viaFloats = new Sampler(c).sample(x, 64, null, null, 0L);
      assertArrayEquals(viaFloats.ids(), viaNd.ids());
      assertArrayEquals(viaFloats.trainLogProbs(), viaNd.trainLogProbs(), 0.0);
      assertArrayEquals(x, logits.toFloatArray(), 0f, "the input must not change");

      NDArray threeD = m.create(x, new Shape(4, 1, 64));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new Sampler(c).sample(threeD, null));
      assertTrue(e.getMessage().contains("(B, V)"), e.getMessage());
      NDArray doubles = logits.toType(DataType.FLOAT64, false);
      e = assertThrows(IllegalArgumentException.class, () -> new Sampler(c).sample(doubles, null));
      assertTrue(e.getMessage().contains("FLOAT32"), e.getMessage());
    }
  }

  @Test
  void mismatchedRowCountsAreRejected() {
    Sampler s = new Sampler(SamplingConfig.ofSeed(1));
    assertThrows(IllegalArgumentException.class, () -> s.sample(new float[7], 4, null, null, 0L));
    assertThrows(
        IllegalArgumentException.class, () -> s.sample(new float[8], 4, new long[1][], null, 0L));
    assertThrows(
        IllegalArgumentException.class, () -> s.sample(new float[8], 4, null, new boolean[3], 0L));
  }
}
