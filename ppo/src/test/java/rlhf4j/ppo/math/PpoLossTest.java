package rlhf4j.ppo.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.model.Masked;
import rlhf4j.ppo.ManagerFixture;

class PpoLossTest extends ManagerFixture {

  private static final PpoLoss.Settings SETTINGS = new PpoLoss.Settings(0.2, 0.2, 0.1, 10);

  @Test
  void clippedPolicyLossAtChosenRatios() {
    // {advantage, ratio, expected max(-A*ratio, -A*clip(ratio, 0.8, 1.2)), expected clipfrac}
    double[][] cases = {
      {1, 1.5, -1.2, 1}, // A > 0, ratio above 1 + eps: the clipped term wins
      {1, 0.5, -0.5, 0}, // A > 0, ratio below 1 - eps: the unclipped term wins
      {-1, 1.5, 1.5, 0}, // A < 0, ratio above 1 + eps: the unclipped term wins
      {-1, 0.5, 0.8, 1}, // A < 0, ratio below 1 - eps: the clipped term wins
      {2, 1.1, -2.2, 0}, // inside the clip range: plain -A * ratio
      {-2, 0.9, 1.8, 0},
    };
    for (double[] c : cases) {
      NDArray logProbs = manager.create(new double[][] {{Math.log(c[1])}});
      NDArray oldLogProbs = manager.zeros(logProbs.getShape(), logProbs.getDataType());
      NDArray advantages = manager.create(new double[][] {{c[0]}});
      NDArray mask = manager.ones(logProbs.getShape());
      PpoLoss.Policy p = PpoLoss.policy(logProbs, oldLogProbs, advantages, mask, 0.2);
      String at = "A=" + c[0] + " ratio=" + c[1];
      assertEquals(c[2], Masked.scalar(p.pgLoss()), 1e-12, at);
      assertEquals(c[3], Masked.scalar(p.clipFrac()), 0, at);
    }
  }

  @Test
  void lossDiagnosticsAndGradientsMatchHandComputedValues() {
    // four tokens, the last masked out
    NDArray mask = manager.create(new double[][] {{1, 1, 1, 0}});
    NDArray oldLogProbs = manager.create(new double[][] {{-1, -2, -0.5, -1}});
    NDArray ratio = manager.create(new double[][] {{1.1, 1.5, 1.5, 3}});
    NDArray logProbs = oldLogProbs.add(ratio.log());
    NDArray advantages = manager.create(new double[][] {{2, 1, -1, 5}});
    NDArray oldValues = manager.create(new double[][] {{0, 0, 0, 0}});
    NDArray vpreds = manager.create(new double[][] {{0.1, 0.5, 0.5, 4}});
    NDArray returns = manager.create(new double[][] {{1, 1, -1, 0}});
    logProbs.setRequiresGradient(true);
    vpreds.setRequiresGradient(true);

    PpoLoss.Result r;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      r =
          PpoLoss.compute(
              logProbs, oldLogProbs, vpreds, oldValues, advantages, returns, mask, SETTINGS);
      gc.backward(r.loss());
    }
    // pg: token 0 inside (-2.2), token 1 clipped (-1.2), token 2 unclipped (1.5)
    double pgLoss = (-2.2 - 1.2 + 1.5) / 3;
    // vf: token 0 inside (0.81), token 1 clipped to 0.2 ((0.2-1)^2 = 0.64), token 2 (1.5^2 = 2.25)
    double vfLoss = 0.5 * (0.81 + 0.64 + 2.25) / 3;
    assertEquals(pgLoss, Masked.scalar(r.pgLoss()), 1e-12);
    assertEquals(vfLoss, Masked.scalar(r.vfLoss()), 1e-12);
    assertEquals(pgLoss + 0.1 * vfLoss, Masked.scalar(r.loss()), 1e-12);
    assertEquals(1.0 / 3, Masked.scalar(r.pgClipFrac()), 1e-12);
    assertEquals(1.0 / 3, Masked.scalar(r.vfClipFrac()), 1e-12);
    double l1 = Math.log(1.1);
    double l2 = Math.log(1.5);
    assertEquals(0.5 * (l1 * l1 + 2 * l2 * l2) / 3, Masked.scalar(r.approxKl()), 1e-12);
    assertEquals(-(l1 + 2 * l2) / 3, Masked.scalar(r.policyKl()), 1e-12);
    assertEquals((1.1 + 1.5 + 1.5) / 3, r.ratioMean(), 1e-12);
    assertFalse(r.skipped());

    // d loss / d logp = -A * ratio / n on unclipped tokens, 0 on clipped or masked ones
    assertArrayEquals(
        new double[] {-2.2 / 3, 0, 1.5 / 3, 0}, logProbs.getGradient().toDoubleArray(), 1e-12);
    // d loss / d vpred = vfCoef * 0.5 * 2 (vpred - R) / n unless the clipped error wins
    assertArrayEquals(
        new double[] {0.1 * (0.1 - 1) / 3, 0, 0.1 * (0.5 + 1) / 3, 0},
        vpreds.getGradient().toDoubleArray(),
        1e-12);
  }

  @Test
  void gradientsMatchFiniteDifferencesOnRandomInputs() {
    Random rng = new Random(3);
    int b = 2;
    int t = 5;
    double[][] old = new double[b][t];
    double[][] logp = new double[b][t];
    double[][] adv = new double[b][t];
    double[][] oldV = new double[b][t];
    double[][] vpred = new double[b][t];
    double[][] ret = new double[b][t];
    double[][] mask = new double[b][t];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < t; j++) {
        old[i][j] = -1 - rng.nextDouble();
        logp[i][j] = old[i][j] + 0.4 * rng.nextGaussian();
        adv[i][j] = rng.nextGaussian();
        oldV[i][j] = rng.nextGaussian();
        vpred[i][j] = oldV[i][j] + 0.4 * rng.nextGaussian();
        ret[i][j] = rng.nextGaussian();
        mask[i][j] = j == 0 || rng.nextDouble() < 0.8 ? 1 : 0;
      }
    }
    Function<double[][][], Double> loss =
        in -> {
          try (NDManager m = manager.newSubManager()) {
            return Masked.scalar(
                PpoLoss.compute(
                        m.create(in[0]),
                        m.create(old),
                        m.create(in[1]),
                        m.create(oldV),
                        m.create(adv),
                        m.create(ret),
                        m.create(mask),
                        SETTINGS)
                    .loss());
          }
        };
    NDArray lp = manager.create(logp);
    NDArray vp = manager.create(vpred);
    lp.setRequiresGradient(true);
    vp.setRequiresGradient(true);
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      gc.backward(
          PpoLoss.compute(
                  lp,
                  manager.create(old),
                  vp,
                  manager.create(oldV),
                  manager.create(adv),
                  manager.create(ret),
                  manager.create(mask),
                  SETTINGS)
              .loss());
    }
    double[] gradLogp = lp.getGradient().toDoubleArray();
    double[] gradV = vp.getGradient().toDoubleArray();
    double h = 1e-6;
    for (int which = 0; which < 2; which++) {
      double[][] x = which == 0 ? logp : vpred;
      double[] grad = which == 0 ? gradLogp : gradV;
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < t; j++) {
          double keep = x[i][j];
          x[i][j] = keep + h;
          double up = loss.apply(new double[][][] {logp, vpred});
          x[i][j] = keep - h;
          double down = loss.apply(new double[][][] {logp, vpred});
          x[i][j] = keep;
          double fd = (up - down) / (2 * h);
          assertEquals(fd, grad[i * t + j], 1e-7, (which == 0 ? "logp" : "vpred") + i + "," + j);
        }
      }
    }
  }

  @Test
  void meanRatioAboveThresholdZeroesTheLossAndItsGradient() {
    NDArray oldLogProbs = manager.create(new double[][] {{-2, -2}});
    NDArray logProbs = manager.create(new double[][] {{1, 1}}); // ratio e^3 ~ 20.1
    NDArray advantages = manager.create(new double[][] {{1, -1}});
    NDArray values = manager.create(new double[][] {{0, 0}});
    NDArray vpreds = manager.create(new double[][] {{0.5, 0.1}});
    NDArray returns = manager.create(new double[][] {{1, 1}});
    NDArray mask = manager.ones(logProbs.getShape());
    logProbs.setRequiresGradient(true);

    PpoLoss.Result r;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      r =
          PpoLoss.compute(
              logProbs, oldLogProbs, vpreds, values, advantages, returns, mask, SETTINGS);
      gc.backward(r.loss());
    }
    assertTrue(r.skipped());
    assertEquals(Math.exp(3), r.ratioMean(), 1e-9);
    assertEquals(0, Masked.scalar(r.loss()), 0);
    assertEquals(0, Masked.scalar(r.pgLoss()), 0);
    assertEquals(0, Masked.scalar(r.vfLoss()), 0);
    assertArrayEquals(new double[] {0, 0}, logProbs.getGradient().toDoubleArray(), 0);

    PpoLoss.Settings loose = new PpoLoss.Settings(0.2, 0.2, 0.1, 25);
    PpoLoss.Result kept =
        PpoLoss.compute(logProbs, oldLogProbs, vpreds, values, advantages, returns, mask, loose);
    assertFalse(kept.skipped());
    assertTrue(Masked.scalar(kept.loss()) != 0);
  }
}
