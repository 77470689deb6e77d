package rlhf4j.rollout.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogitsProcessorTest {
  private static final double NINF = Double.NEGATIVE_INFINITY;

  private static double[] logs(double... p) {
    double[] x = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      x[i] = Math.log(p[i]);
    }
    return x;
  }

  private static boolean[] alive(double[] z) {
    boolean[] a = new boolean[z.length];
    for (int i = 0; i < z.length; i++) {
      a[i] = z[i] != NINF;
    }
    return a;
  }

  private static double[] apply(LogitsProcessor p, double[] x) {
    double[] z = x.clone();
    p.process(z, null);
    return z;
  }

  @Test
  void temperatureDividesEveryLogit() {
    assertArrayEquals(
        new double[] {2.0, -4.0, 0.0}, apply(new Temperature(0.5), new double[] {1, -2, 0}), 0.0);
  }

  @Test
  void topKKeepsTheKLargestAndEveryTieOfTheKth() {
    assertArrayEquals(
        new boolean[] {false, true, true, false},
        alive(apply(new TopK(2), new double[] {1, 3, 3, 2})));
    // HF keeps all tokens tied with the k-th largest
    assertArrayEquals(
        new boolean[] {false, true, true, true},
        alive(apply(new TopK(2), new double[] {1, 3, 2, 2})));
    // k >= V changes nothing; kept values are untouched
    double[] x = {0.5, -1, 2};
    assertArrayEquals(x, apply(new TopK(5), x), 0.0);
    assertArrayEquals(new double[] {NINF, NINF, 2}, apply(new TopK(1), x), 0.0);
  }

  @Test
  void quickselectAgreesWithSortingIncludingInfinitiesAndTies() {
    Random r = new Random(1);
    for (int trial = 0; trial < 300; trial++) {
      int n = 1 + r.nextInt(200);
      double[] a = new double[n];
      for (int i = 0; i < n; i++) {
        int kind = r.nextInt(10);
        a[i] = kind == 0 ? NINF : kind < 4 ? Math.round(r.nextGaussian() * 2) : r.nextGaussian();
      }
      double[] sorted = a.clone();
      Arrays.sort(sorted);
      int target = r.nextInt(n);
      assertEquals(sorted[target], TopK.select(a.clone(), n, target), "trial " + trial);
    }
  }

  @Test
  void topPKeepsTheSmallestSetReachingTopP() {
    double[] x = logs(0.2, 0.5, 0.3);
    assertArrayEquals(new boolean[] {false, true, false}, alive(apply(new TopP(0.4), x)));
    assertArrayEquals(new boolean[] {false, true, true}, alive(apply(new TopP(0.75), x)));
    assertArrayEquals(new boolean[] {true, true, true}, alive(apply(new TopP(0.85), x)));
    // topP = 0 still keeps one token; the kept logits are unchanged
    double[] z = apply(new TopP(0.0), x);
    assertArrayEquals(new boolean[] {false, true, false}, alive(z));
    assertEquals(x[1], z[1], 0.0);
  }

  @Test
  void topPBreaksProbabilityTiesByLowerIndex() {
    double[] flat = {1, 1, 1, 1};
    assertArrayEquals(new boolean[] {true, true, false, false}, alive(apply(new TopP(0.5), flat)));
    assertArrayEquals(new boolean[] {true, false, false, false}, alive(apply(new TopP(0.0), flat)));
    assertArrayEquals(new boolean[] {true, true, true, false}, alive(apply(new TopP(0.6), flat)));
  }

  @Test
  void topPAgreesWithASortingOracleOnLargeVocabularies() {
    Random r = new Random(2);
    for (int trial = 0; trial < 12; trial++) {
      int v = trial < 6 ? 50_000 : 2_000;
      double[] x = new double[v];
      for (int i = 0; i < v; i++) {
        double g = r.nextGaussian() * 3;
        // later trials: logits on a coarse grid, so many probabilities tie at the cut
        x[i] = trial < 6 ? g : Math.round(g * 2) / 2.0;
        if (r.nextInt(50) == 0) {
          x[i] = NINF;
        }
      }
      for (double topP : new double[] {0.05, 0.3, 0.9, 0.99}) {
        assertArrayEquals(
            alive(Oracle.topP(x, topP)),
            alive(apply(new TopP(topP), x)),
            "trial " + trial + " topP " + topP);
      }
    }
  }

  @Test
  void minPKeepsTokensAtLeastMinPTimesTheMaximum() {
    double[] x = logs(0.5, 0.3, 0.15, 0.05);
    assertArrayEquals(new boolean[] {true, true, true, false}, alive(apply(new MinP(0.2), x)));
    assertArrayEquals(new boolean[] {true, false, false, false}, alive(apply(new MinP(1.0), x)));
  }

  @Test
  void processorsRejectOutOfRangeArguments() {
    assertThrows(IllegalArgumentException.class, () -> new Temperature(0));
    assertThrows(IllegalArgumentException.class, () -> new TopK(0));
    assertThrows(IllegalArgumentException.class, () -> new TopP(1.01));
    assertThrows(IllegalArgumentException.class, () -> new MinP(0));
    assertThrows(IllegalArgumentException.class, () -> new RepetitionPenalty(Double.NaN));
  }

  @Test
  void samplerAppliesProcessorsInHfOrder() {
    SamplingConfig c =
        SamplingConfig.builder()
            .repetitionPenalty(1.1)
            .temperature(0.5)
            .topK(4)
            .topP(0.9)
            .minP(0.1)
            .build();
    assertEquals(
        Arrays.asList(
            RepetitionPenalty.class, Temperature.class, TopK.class, TopP.class, MinP.class),
        new Sampler(c).processors().stream().map(Object::getClass).toList());
    assertEquals(0, new Sampler(SamplingConfig.ofSeed(1)).processors().size());
  }
}
