package rlhf4j.reward.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class PairwiseLossTest {
  // Three pairs: z = r_c − r_r − m = 1.5, −1.3, 0.0 (the last exactly 0, where the gradient is
  // −1/2).
  private static final float[] CHOSEN = {2.0f, 0.3f, 1.5f};
  private static final float[] REJECTED = {0.5f, 1.1f, 0.5f};
  private static final float[] MARGINS = {0.0f, 0.5f, 1.0f};

  /** Loss and gradients of {@code loss(r_c, r_r, m, c)} by autograd: {loss, dL/dr_c, dL/dr_r}. */
  private static float[][] lossAndGrads(float[] margins, double c) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray rc = m.create(CHOSEN);
      NDArray rr = m.create(REJECTED);
      rc.setRequiresGradient(true);
      rr.setRequiresGradient(true);
      float loss;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray l = PairwiseLoss.loss(rc, rr, margins == null ? null : m.create(margins), c);
        gc.backward(l);
        loss = l.getFloat();
      }
      return new float[][] {
        {loss}, rc.getGradient().toFloatArray(), rr.getGradient().toFloatArray()
      };
    }
  }

  @Test
  void lossAndGradientsMatchHandComputedValuesWithMarginAndCentring() {
    // −log σ(1.5) = log(1 + e^−1.5) = 0.2014133, −log σ(−1.3) = log(1 + e^1.3) = 1.5410085,
    // −log σ(0) = log 2 = 0.6931472; mean 0.8118563.
    // centring c = 0.1: (r_c + r_r)² = 6.25, 1.96, 4.0; mean 4.07 → 0.407. Total 1.2188563.
    float[][] out = lossAndGrads(MARGINS, 0.1);
    assertEquals(1.2188563, out[0][0], 1e-6);
    // dL/dr_c = (−σ(−z) + 2c(r_c + r_r)) / N, dL/dr_r = (σ(−z) + 2c(r_c + r_r)) / N, with
    // σ(−1.5) = 0.1824255, σ(1.3) = 0.7858350, σ(0) = 0.5
    assertArrayEquals(new float[] {0.1058582f, -0.1686117f, -0.0333333f}, out[1], 1e-6f);
    assertArrayEquals(new float[] {0.2274752f, 0.3552783f, 0.3f}, out[2], 1e-6f);
  }

  @Test
  void withoutMarginOrCentringItIsTheMeanNegativeLogSigmoidOfTheRewardGap() {
    // z = 1.5, −0.8, 1.0: −log σ(z) = 0.2014133, 1.1711007, 0.3132617; mean 0.5619252
    float[][] out = lossAndGrads(null, 0);
    assertEquals(0.5619252, out[0][0], 1e-6);
    // dL/dr_c = −σ(−z)/3 = −0.1824255/3, −0.6899745/3, −0.2689414/3; dL/dr_r the negation
    float[] expected = {-0.0608085f, -0.2299915f, -0.0896471f};
    assertArrayEquals(expected, out[1], 1e-6f);
    for (int i = 0; i < 3; i++) {
      assertEquals(-expected[i], out[2][i], 1e-6f);
    }
  }

  @Test
  void hugeRewardGapsGiveFiniteLossAndGradients() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray rc = m.create(new float[] {200f, -200f});
      NDArray rr = m.create(new float[] {0f, 0f});
      rc.setRequiresGradient(true);
      float loss;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray l = PairwiseLoss.loss(rc, rr, null, 0);
        gc.backward(l);
        loss = l.getFloat();
      }
      // −log σ(200) ≈ 0 and −log σ(−200) ≈ 200; mean 100
      assertEquals(100f, loss, 1e-4f);
      assertArrayEquals(new float[] {0f, -0.5f}, rc.getGradient().toFloatArray(), 1e-6f);
    }
  }

  @Test
  void plainJavaLossAgreesWithTheTensorLoss() {
    double plain = PairwiseLoss.loss(CHOSEN, REJECTED, MARGINS, 0.1);
    assertEquals(lossAndGrads(MARGINS, 0.1)[0][0], plain, 1e-6);
    assertEquals(1.2188563, plain, 1e-6);
    assertEquals(100, PairwiseLoss.negLogSigmoid(-100), 1e-12);
    assertEquals(Math.log(2), PairwiseLoss.negLogSigmoid(0), 1e-15);
  }

  @Test
  void accuracyCountsTiesAsWrong() {
    assertEquals(
        0.5, PairwiseLoss.accuracy(new float[] {1, 2, 3, 0}, new float[] {0, 2, 4, -1}), 0);
  }

  @Test
  void negativeCentringCoefficientIsRejected() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray r = m.create(new float[] {1f});
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> PairwiseLoss.loss(r, r, null, -1));
      assertTrue(e.getMessage().contains("centerCoefficient"), e.getMessage());
    }
  }
}
