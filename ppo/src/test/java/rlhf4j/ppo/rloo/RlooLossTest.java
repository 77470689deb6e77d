package rlhf4j.ppo.rloo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import rlhf4j.ppo.ManagerFixture;
import rlhf4j.ppo.grpo.Goldens;

class RlooLossTest extends ManagerFixture {

  private static final Goldens GOLDENS = new Goldens();

  @AfterAll
  static void report() {
    System.out.println(GOLDENS.report("RLOO loss (TRL rloo_trainer.py _compute_loss)"));
  }

  @Test
  void atRatioOneTheGradientIsMinusAdvantageOverBatchOnEveryActiveToken() {
    NDArray lp = manager.create(new float[][] {{-1f, -2f, -3f}, {-0.5f, -0.5f, -0.5f}});
    NDArray mask = manager.create(new float[][] {{1, 1, 0}, {1, 1, 1}});
    NDArray old = RlooLoss.sequenceLogProbs(lp, mask);
    assertArrayEquals(new float[] {-3f, -1.5f}, old.toFloatArray(), 0);
    lp.setRequiresGradient(true);
    RlooLoss.Result r;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      r = RlooLoss.compute(lp, old, manager.create(new float[] {2f, -1f}), mask, 0.2, 0.2);
      gc.backward(r.loss());
    }
    assertEquals(-(2.0 - 1.0) / 2, r.loss().getFloat(), 1e-7);
    assertArrayEquals(
        new double[] {-1, -1, 0, 0.5, 0.5, 0.5},
        lp.getGradient().toType(DataType.FLOAT64, false).toDoubleArray(),
        1e-7);
    assertEquals(0.0, r.clipRatioRegion(), 0);
  }

  @Test
  void theSequenceRatioIsClippedWithEpsilonHighAbove() {
    // summed log-ratio ln 1.5: A > 0 clipped at 1.28
    NDArray lp = manager.create(new float[][] {{(float) Math.log(1.5), 0f}});
    NDArray mask = manager.create(new float[][] {{1, 1}});
    RlooLoss.Result r =
        RlooLoss.compute(
            lp,
            manager.create(new float[] {0f}),
            manager.create(new float[] {1f}),
            mask,
            0.2,
            0.28);
    assertEquals(-1.28, r.loss().getFloat(), 1e-6);
    assertEquals(1.0, r.clipRatioHigh(), 0);
    assertEquals(0.0, r.clipRatioLow(), 0);
  }

  @Test
  void matchesTrlGoldens() {
    JsonObject data = Goldens.load("rloo-loss.json").getAsJsonObject();
    JsonObject in = data.getAsJsonObject("inputs");
    int n = 0;
    for (JsonElement c : data.getAsJsonArray("cases")) {
      JsonObject o = c.getAsJsonObject();
      String name = o.get("name").getAsString();
      JsonObject exp = o.getAsJsonObject("expected");
      NDArray mask = Goldens.f32(manager, in.get("mask"));
      NDArray old =
          RlooLoss.sequenceLogProbs(Goldens.f32(manager, in.get("old_token_log_probs")), mask);
      GOLDENS.close(name + " old_logps", Goldens.vec(exp.get("old_logps")), toDoubles(old));
      NDArray lp = Goldens.f32(manager, in.get("log_probs"));
      lp.setRequiresGradient(true);
      RlooLoss.Result r;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        r =
            RlooLoss.compute(
                lp,
                old,
                Goldens.f32(manager, in.get("advantages")),
                mask,
                o.get("epsilon_low").getAsDouble(),
                o.get("epsilon_high").getAsDouble());
        gc.backward(r.loss());
      }
      GOLDENS.close(name + " loss", exp.get("loss").getAsDouble(), r.loss().getFloat());
      double[][] grad = Goldens.mat(exp.get("grad"));
      double[] flat = toDoubles(lp.getGradient());
      for (int i = 0; i < grad.length; i++) {
        for (int t = 0; t < grad[i].length; t++) {
          GOLDENS.close(
              name + " grad[" + i + "," + t + "]", grad[i][t], flat[i * grad[i].length + t]);
        }
      }
      GOLDENS.closeMetrics(name, exp.getAsJsonObject("metrics"), r.metrics());
      n++;
    }
    assertEquals(2, n);
  }

  private static double[] toDoubles(NDArray x) {
    return x.toType(DataType.FLOAT64, false).toDoubleArray();
  }
}
