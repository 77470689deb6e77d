package rlhf4j.rollout.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.Test;

/** Chi-square goodness of fit of 20,000 draws against the exact expected distribution. */
class SamplerDistributionTest {
  private static final double[] LOGITS = {2.0, 1.6, 1.2, 0.9, 0.5, 0.1, -0.3, -0.8, -1.4, -2.0};
  private static final int DRAWS = 20_000;

  /** One call with DRAWS identical rows; returns the count of each token. */
  private static long[] counts(SamplingConfig config) {
    int v = LOGITS.length;
    float[] batch = new float[DRAWS * v];
    for (int r = 0; r < DRAWS; r++) {
      for (int i = 0; i < v; i++) {
        batch[r * v + i] = (float) LOGITS[i];
      }
    }
    SampleResult result = new Sampler(config).sample(batch, v, null, null, 0L);
    long[] counts = new long[v];
    for (long id : result.ids()) {
      counts[(int) id]++;
    }
    return counts;
  }

  /** Exact expected probabilities, from the plain-Java oracle on the float-rounded logits. */
  private static double[] expected(SamplingConfig config) {
    double[] x = new double[LOGITS.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) LOGITS[i];
    }
    return Oracle.softmax(Oracle.processed(x, null, config));
  }

  /** p-value of the draws against expected, over the tokens with non-zero expected mass. */
  private static double pValue(double[] expected, long[] counts) {
    List<Integer> support = new ArrayList<>();
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] > 0) {
        support.add(i);
      } else {
        assertEquals(0, counts[i], "token " + i + " has probability 0 but was drawn");
      }
    }
    double[] e = new double[support.size()];
    long[] o = new long[support.size()];
    for (int j = 0; j < e.length; j++) {
      e[j] = expected[support.get(j)] * DRAWS;
      o[j] = counts[support.get(j)];
    }
    return new ChiSquareTest().chiSquareTest(e, o);
  }

  /** Moves 3 points of probability from the most likely token to the second one. */
  private static double[] perturbed(double[] p) {
    double[] q = p.clone();
    q[0] -= 0.03;
    q[1] += 0.03;
    return q;
  }

  private static void assertFitsAndWrongIsRejected(SamplingConfig config) {
    long[] counts = counts(config);
    double[] expected = expected(config);
    double p = pValue(expected, counts);
    assertTrue(p > 0.001, "draws do not fit the expected distribution, p = " + p);
    double pWrong = pValue(perturbed(expected), counts);
    assertTrue(pWrong < 1e-6, "a wrong expected distribution was not rejected, p = " + pWrong);
  }

  @Test
  void plainSamplingMatchesSoftmax() {
    assertFitsAndWrongIsRejected(SamplingConfig.ofSeed(1));
  }

  @Test
  void temperaturePointSevenMatchesSoftmaxOfScaledLogits() {
    assertFitsAndWrongIsRejected(SamplingConfig.builder().temperature(0.7).seed(2).build());
  }

  @Test
  void topKThreeMatchesRenormalisedTopThree() {
    SamplingConfig config = SamplingConfig.builder().topK(3).seed(3).build();
    double[] e = expected(config);
    assertEquals(3, java.util.Arrays.stream(e).filter(q -> q > 0).count());
    assertFitsAndWrongIsRejected(config);
  }

  @Test
  void topPPointEightMatchesRenormalisedNucleus() {
    SamplingConfig config = SamplingConfig.builder().topP(0.8).seed(4).build();
    double[] e = expected(config);
    // cumulative mass 0.33, 0.55, 0.70, 0.81: the first four tokens are the nucleus
    assertEquals(4, java.util.Arrays.stream(e).filter(q -> q > 0).count());
    assertFitsAndWrongIsRejected(config);
  }

  @Test
  void minPMatchesRenormalisedSurvivors() {
    SamplingConfig config = SamplingConfig.builder().minP(0.2).seed(5).build();
    double[] e = expected(config);
    // pmax 0.329, threshold 0.066: tokens 0..4 survive (p4 = 0.073, p5 = 0.049)
    assertEquals(5, java.util.Arrays.stream(e).filter(q -> q > 0).count());
    assertFitsAndWrongIsRejected(config);
  }

  @Test
  void plainDrawsRejectTheTemperatureScaledDistribution() {
    long[] counts = counts(SamplingConfig.ofSeed(6));
    double[] wrong = expected(SamplingConfig.builder().temperature(0.7).build());
    double p = pValue(wrong, counts);
    assertTrue(p < 1e-6, "T = 1 draws should not fit the T = 0.7 distribution, p = " + p);
  }
}
