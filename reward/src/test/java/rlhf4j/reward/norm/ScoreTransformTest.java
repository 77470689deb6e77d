package rlhf4j.reward.norm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import rlhf4j.reward.norm.ScoreTransformConfig.Mode;

class ScoreTransformTest {
  private static final double EPS = 1.1920929e-7; // torch.finfo(float32).eps

  private static ScoreTransform of(Mode mode, double clip) {
    return new ScoreTransform(ScoreTransformConfig.builder().mode(mode).scoreClip(clip).build());
  }

  @Test
  void defaultsAreTrlDefaults() {
    ScoreTransformConfig c = ScoreTransformConfig.defaults();
    assertEquals(Mode.NONE, c.mode());
    assertEquals(Double.POSITIVE_INFINITY, c.scoreClip());
    assertEquals(EPS, c.eps(), 1e-15);
  }

  @Test
  void noneModeLeavesScoresAndMomentsAlone() {
    ScoreTransform t = of(Mode.NONE, Double.POSITIVE_INFINITY);
    float[] in = {1f, -2f, 3f};
    assertArrayEquals(in, t.apply(in));
    assertEquals(new RunningMoments().state(), t.moments().state());
  }

  @Test
  void scaleDividesByRunningStdPlusEps() {
    ScoreTransform t = of(Mode.SCALE, Double.POSITIVE_INFINITY);
    // moments after {1,2,3}: mean 2, std 1
    float[] out = t.apply(new float[] {1f, 2f, 3f});
    assertArrayEquals(
        new float[] {(float) (1 / (1 + EPS)), (float) (2 / (1 + EPS)), (float) (3 / (1 + EPS))},
        out,
        1e-7f);
  }

  @Test
  void normSubtractsMeanThenDivides() {
    ScoreTransform t = of(Mode.NORM, Double.POSITIVE_INFINITY);
    float[] out = t.apply(new float[] {1f, 2f, 3f});
    assertArrayEquals(
        new float[] {(float) (-1 / (1 + EPS)), 0f, (float) (1 / (1 + EPS))}, out, 1e-7f);
  }

  @Test
  void clipBoundsScoresInEveryMode() {
    assertArrayEquals(
        new float[] {-1f, 0.3f, 1f}, of(Mode.NONE, 1.0).apply(new float[] {-10f, 0.3f, 10f}));
    // NORM on {-10, 0, 10}: mean 0, std 10 -> {-1, 0, 1}, then clip 0.5
    assertArrayEquals(
        new float[] {-0.5f, 0f, 0.5f}, of(Mode.NORM, 0.5).apply(new float[] {-10f, 0f, 10f}));
  }

  @Test
  void secondBatchUsesMomentsOfBothBatches() {
    ScoreTransform t = of(Mode.NORM, Double.POSITIVE_INFINITY);
    t.apply(new float[] {1f, 2f, 3f});
    float[] second = {10f, 20f};
    float[] out = t.apply(second);
    // plain loop over all five scores
    double[] all = {1, 2, 3, 10, 20};
    double mean = 0;
    for (double x : all) {
      mean += x;
    }
    mean /= all.length;
    double sq = 0;
    for (double x : all) {
      sq += (x - mean) * (x - mean);
    }
    double std = Math.sqrt(sq / (all.length - 1));
    assertEquals(7.2, mean, 1e-12);
    for (int i = 0; i < second.length; i++) {
      assertEquals((second[i] - mean) / (std + EPS), out[i], 1e-6);
    }
  }

  @Test
  void restoredTransformContinuesLikeTheOriginal() {
    ScoreTransformConfig c = ScoreTransformConfig.builder().mode(Mode.SCALE).scoreClip(3).build();
    ScoreTransform a = new ScoreTransform(c);
    a.apply(new float[] {4f, -1f, 2f, 8f});
    ScoreTransform b = new ScoreTransform(c, new RunningMoments(a.moments().state()));
    float[] next = {0.5f, 12f, -7f};
    assertArrayEquals(a.apply(next), b.apply(next));
  }

  @Test
  void nonFiniteScoreIsRejectedWithItsIndex() {
    ScoreTransform t = of(Mode.SCALE, Double.POSITIVE_INFINITY);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> t.apply(new float[] {0f, Float.NaN}));
    assertTrue(e.getMessage().contains("index 1"), e.getMessage());
    assertEquals(new RunningMoments().state(), t.moments().state());
  }

  @Test
  void configRejectsNonPositiveClip() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ScoreTransformConfig.builder().scoreClip(0).build());
    assertTrue(e.getMessage().contains("scoreClip"), e.getMessage());
  }
}
