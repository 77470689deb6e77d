package rlhf4j.policy.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AdamWTest {

  private static final int STEPS = 5;
  private static final double LR = 0.05;

  /**
   * torch.optim.AdamW / Adam written as plain loops in double precision. Gradient at step t is
   * {@code G_t + k·p}, the same function the tensor test back-propagates.
   */
  private static double[] referenceAdam(
      double[] p0, float[][] gs, double k, AdamWConfig c, double lr) {
    double[] p = p0.clone();
    double[] m = new double[p.length];
    double[] v = new double[p.length];
    for (int t = 1; t <= gs.length; t++) {
      double bc1 = 1 - Math.pow(c.beta1(), t);
      double bc2 = 1 - Math.pow(c.beta2(), t);
      for (int i = 0; i < p.length; i++) {
        double g = gs[t - 1][i] + k * p[i];
        if (c.decoupled()) {
          p[i] *= 1 - lr * c.weightDecay();
        } else {
          g += c.weightDecay() * p[i];
        }
        m[i] = c.beta1() * m[i] + (1 - c.beta1()) * g;
        v[i] = c.beta2() * v[i] + (1 - c.beta2()) * g * g;
        double denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + c.eps();
        p[i] -= lr / bc1 * m[i] / denom;
      }
    }
    return p;
  }

  private static float[][] randomGradients(int steps, int n, long seed) {
    Random random = new Random(seed);
    float[][] gs = new float[steps][n];
    for (float[] g : gs) {
      for (int i = 0; i < n; i++) {
        g[i] = (float) random.nextGaussian();
      }
    }
    return gs;
  }

  private static void assertMatchesReference(AdamWConfig config) {
    float[] init = {0.5f, -1.25f, 2f, 0.1f, -0.3f, 1.5f};
    float[][] gs = randomGradients(STEPS, init.length, 7);
    double k = 0.5; // loss = sum(G·p) + k/2·|p|²
    double[] expected = referenceAdam(toDouble(init), gs, k, config, LR);
    try (NDManager manager = NDManager.newBaseManager();
        AdamW opt = new AdamW(config, LrSchedule.constant(LR))) {
      NDArray w = OptimFixtures.trainable(manager, init, 2, 3);
      Map<String, NDArray> params = OptimFixtures.params("w", w);
      for (int t = 0; t < STEPS; t++) {
        float[] g = gs[t];
        OptimFixtures.backward(
            params,
            ps -> {
              NDArray p = ps.get("w");
              NDArray gArr = p.getManager().create(g).reshape(2, 3);
              return p.mul(gArr).sum().add(p.square().sum().mul(k / 2));
            });
        opt.step(params);
      }
      float[] actual = w.toFloatArray();
      double maxDiff = 0;
      double maxMove = 0;
      for (int i = 0; i < init.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
        maxMove = Math.max(maxMove, Math.abs(actual[i] - init[i]));
      }
      assertTrue(maxDiff < 1e-6, "max diff to the reference " + maxDiff);
      assertTrue(maxMove > 0.1, "parameters barely moved: " + maxMove);
      assertEquals(STEPS, opt.stepCount());
    }
  }

  private static double[] toDouble(float[] xs) {
    double[] out = new double[xs.length];
    for (int i = 0; i < xs.length; i++) {
      out[i] = xs[i];
    }
    return out;
  }

  @Test
  void adamWMatchesDoublePrecisionTorchReferenceForFiveSteps() {
    assertMatchesReference(AdamWConfig.builder().optWeightDecay(0.1).build());
  }

  @Test
  void adamWMatchesReferenceWithLargeEpsWhereItsPlacementMatters() {
    // eps is added after dividing sqrt(v) by sqrt(1 - beta2^t); with eps 0.1 the TF-style
    // placement (before the bias correction) would differ by far more than 1e-6
    assertMatchesReference(
        AdamWConfig.builder().optBeta1(0.8).optBeta2(0.9).optEps(0.1).optWeightDecay(0).build());
  }

  @Test
  void adamMatchesDoublePrecisionTorchReferenceForFiveSteps() {
    assertMatchesReference(AdamWConfig.adam());
  }

  @Test
  void adamWithCoupledWeightDecayMatchesReference() {
    assertMatchesReference(AdamWConfig.builder().optWeightDecay(0.1).optDecoupled(false).build());
  }

  @Test
  void defaultsAreTorchAdamWDefaults() {
    AdamWConfig c = AdamWConfig.defaults();
    assertEquals(0.9, c.beta1());
    assertEquals(0.999, c.beta2());
    assertEquals(1e-8, c.eps());
    assertEquals(0.01, c.weightDecay());
    assertTrue(c.decoupled());
    assertEquals(0.0, AdamWConfig.adam().weightDecay());
    assertFalse(AdamWConfig.adam().decoupled());
  }

  @Test
  void stepZeroesGradientsAndSkipsParametersWithoutGradient() {
    try (NDManager manager = NDManager.newBaseManager();
        AdamW opt = new AdamW(AdamWConfig.defaults(), LrSchedule.constant(0.1))) {
      NDArray used = OptimFixtures.trainable(manager, new float[] {1f, 2f}, 2);
      NDArray unused = OptimFixtures.trainable(manager, new float[] {3f, 4f}, 2);
      Map<String, NDArray> params = OptimFixtures.params("used", used, "unused", unused);
      OptimFixtures.setGradients(params, Map.of("used", new float[] {1f, -1f}));
      opt.step(params);
      assertArrayEquals(new float[] {0f, 0f}, OptimFixtures.gradient(used));
      assertArrayEquals(new float[] {3f, 4f}, unused.toFloatArray(), "untouched by weight decay");
      OptimizerState state = opt.exportState();
      assertTrue(state.tensors().containsKey("adamw.m.used"));
      assertFalse(state.tensors().containsKey("adamw.m.unused"));
      assertNull(state.scalars().get("adamw.step.unused"));
      assertEquals(1L, state.scalar("adamw.step.used"));
      assertEquals(2 * 2 * 4, opt.stateBytes(), "m and v of 'used' in fp32");
    }
  }

  @Test
  void zeroButComputedGradientStillGetsWeightDecayAndAStepLikeTorch() {
    // a fresh LoRA A sees exactly zero gradient on its first step; torch still updates it
    try (NDManager manager = NDManager.newBaseManager();
        AdamW opt = new AdamW(AdamWConfig.defaults(), LrSchedule.constant(0.1))) {
      NDArray a = OptimFixtures.trainable(manager, new float[] {1f, -2f}, 2);
      Map<String, NDArray> params = OptimFixtures.params("a", a);
      OptimFixtures.setGradients(params, Map.of("a", new float[] {0f, 0f}));
      opt.step(params);
      float decay = (float) (1 - 0.1 * 0.01);
      assertArrayEquals(new float[] {decay, -2 * decay}, a.toFloatArray(), 1e-7f);
      assertEquals(1L, opt.exportState().scalar("adamw.step.a"));
    }
  }

  @Test
  void firstStepOfWarmupUsesZeroLearningRate() {
    try (NDManager manager = NDManager.newBaseManager();
        AdamW opt =
            new AdamW(AdamWConfig.defaults(), LrSchedule.linear(1e-2, Warmup.ofSteps(2), 10))) {
      NDArray w = OptimFixtures.trainable(manager, new float[] {1f, 2f}, 2);
      Map<String, NDArray> params = OptimFixtures.params("w", w);
      assertEquals(0.0, opt.learningRate());
      OptimFixtures.setGradients(params, Map.of("w", new float[] {1f, 1f}));
      opt.step(params);
      assertArrayEquals(new float[] {1f, 2f}, w.toFloatArray());
      assertEquals(5e-3, opt.learningRate(), 1e-15);
    }
  }

  @Test
  void rejectsParameterThatDoesNotRequireGradient() {
    try (NDManager manager = NDManager.newBaseManager();
        AdamW opt = new AdamW(AdamWConfig.defaults(), LrSchedule.constant(0.1))) {
      NDArray frozen = manager.create(new float[] {1f});
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> opt.step(OptimFixtures.params("frozen", frozen)));
      assertTrue(e.getMessage().contains("'frozen'"), e.getMessage());
    }
  }

  @Test
  void configRejectsBetaOutOfRange() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> AdamWConfig.builder().optBeta2(1.0).build());
    assertTrue(e.getMessage().contains("beta2"), e.getMessage());
  }

  @Test
  void closedOptimizerRefusesToStep() {
    AdamW opt = new AdamW(AdamWConfig.defaults(), LrSchedule.constant(0.1));
    opt.close();
    assertThrows(IllegalStateException.class, () -> opt.step(Map.of()));
  }
}
