package rlhf4j.reward.norm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.commons.math3.stat.descriptive.moment.StandardDeviation;
import org.junit.jupiter.api.Test;

class RunningMomentsTest {

  @Test
  void freshMomentsMatchTrlInitialState() {
    RunningMoments m = new RunningMoments();
    assertEquals(0.0, m.mean());
    assertEquals(1.0, m.var());
    assertEquals(1e-24, m.count());
    assertEquals(1.0, m.std());
  }

  @Test
  void firstBatchOfOneTwoThreeGivesHandComputedMoments() {
    RunningMoments m = new RunningMoments();
    m.update(new float[] {1f, 2f, 3f});
    // mean 2; population var (1+0+1)/3 = 2/3; std = sqrt(2/3 * 3/2) = 1
    assertEquals(2.0, m.mean(), 1e-12);
    assertEquals(2.0 / 3.0, m.var(), 1e-12);
    assertEquals(3.0, m.count(), 1e-12);
    assertEquals(1.0, m.std(), 1e-12);
  }

  @Test
  void manyBatchesMatchPlainLoopOverAllScores() {
    Random rnd = new Random(42);
    RunningMoments m = new RunningMoments();
    List<Double> all = new ArrayList<>();
    for (int b = 0; b < 25; b++) {
      int n = 1 + rnd.nextInt(17);
      double[] xs = new double[n];
      for (int i = 0; i < n; i++) {
        xs[i] = 3.0 + 2.5 * rnd.nextGaussian();
        all.add(xs[i]);
      }
      m.update(xs);

      // plain-loop oracle over everything seen so far
      double sum = 0;
      for (double x : all) {
        sum += x;
      }
      double mean = sum / all.size();
      double sq = 0;
      for (double x : all) {
        sq += (x - mean) * (x - mean);
      }
      double popVar = sq / all.size();
      double[] arr = all.stream().mapToDouble(Double::doubleValue).toArray();
      double std = new StandardDeviation(true).evaluate(arr); // Bessel-corrected

      assertEquals(mean, m.mean(), 1e-10, "mean after batch " + b);
      assertEquals(popVar, m.var(), 1e-10, "var after batch " + b);
      assertEquals(all.size(), m.count(), 1e-9, "count after batch " + b);
      assertEquals(std, m.std(), 1e-10, "std after batch " + b);
    }
  }

  @Test
  void singleScoreFirstBatchGivesInfiniteStdAsInTrl() {
    RunningMoments m = new RunningMoments();
    m.update(new float[] {5f});
    assertEquals(5.0, m.mean(), 1e-12);
    assertEquals(Double.POSITIVE_INFINITY, m.std());
    m.update(new float[] {7f});
    assertEquals(6.0, m.mean(), 1e-12);
    assertEquals(Math.sqrt(2.0), m.std(), 1e-12); // sample std of {5, 7}
  }

  @Test
  void restoredStateContinuesIdentically() {
    RunningMoments a = new RunningMoments();
    a.update(new float[] {1f, 4f, -2f});
    RunningMoments b = new RunningMoments(a.state());
    a.update(new float[] {0.5f, 9f});
    b.update(new float[] {0.5f, 9f});
    assertEquals(a.state(), b.state());
    assertEquals(a.std(), b.std());
    assertEquals(new RunningMoments().state(), new RunningMoments.State(0, 1, 1e-24));
  }

  @Test
  void emptyOrNonFiniteBatchIsRejectedBeforeTouchingState() {
    RunningMoments m = new RunningMoments();
    assertThrows(IllegalArgumentException.class, () -> m.update(new float[0]));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> m.update(new float[] {1f, Float.NaN}));
    assertTrue(e.getMessage().contains("index 1"), e.getMessage());
    assertEquals(new RunningMoments().state(), m.state());
  }

  @Test
  void stateRejectsImpossibleValues() {
    assertThrows(IllegalArgumentException.class, () -> new RunningMoments.State(0, -1, 1));
    assertThrows(IllegalArgumentException.class, () -> new RunningMoments.State(0, 1, 0));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> new RunningMoments.State(Double.NaN, 1, 1));
    assertTrue(e.getMessage().contains("mean"), e.getMessage());
  }
}
