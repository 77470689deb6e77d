package rlhf4j.policy.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SftLossTest {
  private static final int B = 2;
  private static final int T = 4;
  private static final int V = 5;

  private static float[] randomLogits(long seed) {
    Random rng = new Random(seed);
    float[] logits = new float[B * T * V];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) (3 * rng.nextGaussian());
    }
    return logits;
  }

  /** -Σ w·log softmax(logits[b,t])[ids[b,t+1]] / Σ w, in double, log-softmax written out. */
  static double oracle(float[] logits, long[] ids, float[] weights, int b, int t, int v) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t - 1; j++) {
        double w = weights[i * (t - 1) + j];
        int base = (i * t + j) * v;
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < v; k++) {
          max = Math.max(max, logits[base + k]);
        }
        double sumExp = 0;
        for (int k = 0; k < v; k++) {
          sumExp += Math.exp(logits[base + k] - max);
        }
        double logp = logits[base + (int) ids[i * t + j + 1]] - max - Math.log(sumExp);
        num += w * logp;
        den += w;
      }
    }
    return -num / den;
  }

  private static double loss(float[] logits, long[] ids, float[] weights) {
    try (NDManager m = NDManager.newBaseManager()) {
      return SftLoss.crossEntropy(
              m.create(logits, new Shape(B, T, V)),
              m.create(ids, new Shape(B, T)),
              m.create(weights, new Shape(B, T - 1)))
          .getFloat();
    }
  }

  @Test
  void lossEqualsPlainJavaCrossEntropyWithMasking() {
    float[] logits = randomLogits(1);
    long[] ids = {1, 4, 0, 2, 3, 3, 1, 0};
    // row 0: prompt token 1 masked; row 1: last position is padding
    float[] weights = {0, 1, 1, 1, 1, 0};
    double expected = oracle(logits, ids, weights, B, T, V);
    assertEquals(expected, loss(logits, ids, weights), 1e-5);
    // hand check of the unmasked mean: every weight 1 gives a different value
    float[] ones = {1, 1, 1, 1, 1, 1};
    assertNotEquals(expected, oracle(logits, ids, ones, B, T, V), 1e-3);
    assertEquals(oracle(logits, ids, ones, B, T, V), loss(logits, ids, ones), 1e-5);
  }

  @Test
  void uniformLogitsGiveLogOfTheVocabulary() {
    long[] ids = {1, 4, 0, 2, 3, 3, 1, 0};
    float[] weights = {1, 0, 1, 1, 1, 0};
    assertEquals(Math.log(V), loss(new float[B * T * V], ids, weights), 1e-6);
  }

  @Test
  void changingMaskedTargetsLeavesTheLossUnchanged() {
    float[] logits = randomLogits(2);
    long[] ids = {1, 4, 0, 2, 3, 3, 1, 0};
    float[] weights = {0, 0, 1, 0, 1, 1}; // targets ids[1], ids[2] (row 0) and ids[5] are prompt
    double base = loss(logits, ids, weights);
    long[] promptChanged = ids.clone();
    promptChanged[1] = 2;
    promptChanged[2] = 4;
    promptChanged[5] = 0;
    assertEquals(base, loss(logits, promptChanged, weights), 0.0);
    long[] completionChanged = ids.clone();
    completionChanged[3] = 1; // a weighted target
    assertNotEquals(base, loss(logits, completionChanged, weights), 1e-4);
  }
}
