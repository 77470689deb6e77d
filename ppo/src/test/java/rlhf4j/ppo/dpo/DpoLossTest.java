package rlhf4j.ppo.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

class DpoLossTest extends ManagerFixture {

  private static final Goldens GOLDENS = new Goldens();

  @AfterAll
  static void report() {
    System.out.println(GOLDENS.report("DPO loss (TRL dpo_trainer.py _compute_loss)"));
  }

  private record Run(DpoLoss.Result result, double[] gradChosen, double[] gradRejected) {}

  /** One pair with Delta = (-1 - -2) - (-3 - -2) = 2 and no lengths. */
  private Run deltaTwo(DpoConfig config) {
    return run(
        new float[] {-1f},
        new float[] {-3f},
        new float[] {-2f},
        new float[] {-2f},
        null,
        null,
        config);
  }

  private Run run(
      float[] chosen,
      float[] rejected,
      float[] refC,
      float[] refR,
      float[] lenC,
      float[] lenR,
      DpoConfig config) {
    NDArray c = manager.create(chosen);
    NDArray r = manager.create(rejected);
    c.setRequiresGradient(true);
    r.setRequiresGradient(true);
    DpoLoss.Result result;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      result =
          DpoLoss.compute(
              c,
              r,
              manager.create(refC),
              manager.create(refR),
              lenC == null ? null : manager.create(lenC),
              lenR == null ? null : manager.create(lenR),
              config);
      gc.backward(result.loss());
    }
    return new Run(result, doubles(c.getGradient()), doubles(r.getGradient()));
  }

  private static double[] doubles(NDArray x) {
    return x.toType(DataType.FLOAT64, false).toDoubleArray();
  }

  private static DpoConfig config(DpoLossType type, double beta, double ls) {
    return DpoConfig.builder().lossType(type).beta(beta).labelSmoothing(ls).build();
  }

  @Test
  void sigmoidAtZeroMarginIsLn2WithGradientMinusBetaOverTwoB() {
    // policy == reference on both completions: Delta = 0
    Run r =
        run(
            new float[] {-3f, -5f},
            new float[] {-4f, -2f},
            new float[] {-3f, -5f},
            new float[] {-4f, -2f},
            null,
            null,
            config(DpoLossType.SIGMOID, 0.1, 0));
    assertEquals(Math.log(2), r.result().loss().getFloat(), 1e-6);
    assertArrayEquals(new double[] {-0.025, -0.025}, r.gradChosen(), 1e-7); // -beta/2 / B
    assertArrayEquals(new double[] {0.025, 0.025}, r.gradRejected(), 1e-7);
    assertEquals(0.0, r.result().rewardsAccuracies(), 0); // ties are not accurate
    assertEquals(-4.0, r.result().logpsChosen(), 1e-6);
    assertEquals(-3.0, r.result().logpsRejected(), 1e-6);
  }

  @Test
  void sigmoidMatchesTheClosedForm() {
    // Delta = (-1 - -2) - (-3 - -2) = 2, beta 0.5: -log sigmoid(1)
    Run r = deltaTwo(config(DpoLossType.SIGMOID, 0.5, 0));
    assertEquals(Math.log1p(Math.exp(-1)), r.result().loss().getFloat(), 1e-6);
    assertEquals(0.5, r.result().rewardsChosen(), 1e-6);
    assertEquals(-0.5, r.result().rewardsRejected(), 1e-6);
    assertEquals(1.0, r.result().rewardsMargins(), 1e-6);
    assertEquals(1.0, r.result().rewardsAccuracies(), 0);
  }

  @Test
  void hingeIsZeroOnceBetaDeltaPassesOne() {
    // Delta 2: beta 1 -> relu(1 - 2) = 0 and no gradient; beta 0.25 -> 0.5, grad -beta
    Run flat = deltaTwo(config(DpoLossType.HINGE, 1.0, 0));
    assertEquals(0.0, flat.result().loss().getFloat(), 0);
    assertArrayEquals(new double[] {0}, flat.gradChosen(), 0);
    Run active = deltaTwo(config(DpoLossType.HINGE, 0.25, 0));
    assertEquals(0.5, active.result().loss().getFloat(), 1e-6);
    assertArrayEquals(new double[] {-0.25}, active.gradChosen(), 1e-7);
  }

  @Test
  void ipoNormalisesEachLogRatioByItsCompletionLength() {
    // chosen log-ratio 2 over 4 tokens, rejected -3 over 6: ipoDelta 0.5 + 0.5 = 1; beta 0.25 ->
    // 1/(2 beta) = 2
    Run r =
        run(
            new float[] {-1f},
            new float[] {-5f},
            new float[] {-3f},
            new float[] {-2f},
            new float[] {4f},
            new float[] {6f},
            config(DpoLossType.IPO, 0.25, 0));
    assertEquals(1.0, r.result().loss().getFloat(), 1e-6); // (1 - 2)^2
    assertArrayEquals(new double[] {2 * (1 - 2) / 4.0}, r.gradChosen(), 1e-7);
    assertArrayEquals(new double[] {-2 * (1 - 2) / 6.0}, r.gradRejected(), 1e-7);
  }

  @Test
  void ipoNeedsTheLengths() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            run(
                new float[] {-1f},
                new float[] {-5f},
                new float[] {-3f},
                new float[] {-2f},
                null,
                null,
                config(DpoLossType.IPO, 0.25, 0)));
  }

  @Test
  void robustWithoutSmoothingIsSigmoidAndWithSmoothingIsTheUnbiasedMix() {
    float[] c = {-1f};
    float[] rj = {-3f};
    float[] ref = {-2f};
    Run sigmoid = run(c, rj, ref, ref, null, null, config(DpoLossType.SIGMOID, 0.5, 0));
    Run robust0 = run(c, rj, ref, ref, null, null, config(DpoLossType.ROBUST, 0.5, 0));
    assertEquals(sigmoid.result().loss().getFloat(), robust0.result().loss().getFloat(), 1e-7);
    Run robust = run(c, rj, ref, ref, null, null, config(DpoLossType.ROBUST, 0.5, 0.2));
    double ls1 = -Math.log1p(Math.exp(-1)); // log sigmoid(1)
    double lsm1 = -Math.log1p(Math.exp(1)); // log sigmoid(-1)
    assertEquals((-0.8 * ls1 + 0.2 * lsm1) / 0.6, robust.result().loss().getFloat(), 1e-6);
  }

  @Test
  void logSigmoidIsStableForLargeInputs() {
    NDArray x = manager.create(new float[] {-100f, 0f, 100f});
    assertArrayEquals(
        new float[] {-100f, (float) -Math.log(2), 0f}, DpoLoss.logSigmoid(x).toFloatArray(), 1e-6f);
  }

  @Test
  void sequenceLogProbsSumTheMaskedTokens() {
    NDArray lp = manager.create(new float[][] {{-1f, -2f, -9f}});
    NDArray mask = manager.create(new float[][] {{1, 1, 0}});
    assertArrayEquals(new float[] {-3f}, DpoLoss.sequenceLogProbs(lp, mask).toFloatArray(), 0);
  }

  @Test
  void matchesTrlGoldensForEachLossType() {
    JsonObject data = Goldens.load("dpo-loss.json").getAsJsonObject();
    int n = 0;
    for (JsonElement e : data.getAsJsonArray("cases")) {
      JsonObject o = e.getAsJsonObject();
      // AOT's cases bring pairs without ties in their log-ratios
      JsonObject in =
          o.has("inputs") ? o.getAsJsonObject("inputs") : data.getAsJsonObject("inputs");
      String name = o.get("name").getAsString();
      DpoConfig cfg =
          DpoConfig.builder()
              .lossType(lossTypes(o.get("loss_type")))
              .lossWeights(o.has("loss_weights") ? doubles(o.get("loss_weights")) : null)
              .beta(o.get("beta").getAsDouble())
              .labelSmoothing(o.get("label_smoothing").getAsDouble())
              .discopopTau(o.has("discopop_tau") ? o.get("discopop_tau").getAsDouble() : 0.05)
              .fDivergenceType(
                  o.has("f_divergence_type")
                      ? DpoFDivergence.valueOf(
                          o.get("f_divergence_type").getAsString().toUpperCase())
                      : DpoFDivergence.REVERSE_KL)
              .fAlphaDivergenceCoef(
                  o.has("f_alpha_divergence_coef")
                      ? o.get("f_alpha_divergence_coef").getAsDouble()
                      : 0.5)
              .build();
      Run r =
          run(
              floats(in.get("chosen_logps")),
              floats(in.get("rejected_logps")),
              floats(in.get("ref_chosen_logps")),
              floats(in.get("ref_rejected_logps")),
              floats(in.get("chosen_lengths")),
              floats(in.get("rejected_lengths")),
              cfg);
      JsonObject exp = o.getAsJsonObject("expected");
      GOLDENS.close(name + " loss", exp.get("loss").getAsDouble(), r.result().loss().getFloat());
      GOLDENS.close(name + " grad_chosen", Goldens.vec(exp.get("grad_chosen")), r.gradChosen());
      GOLDENS.close(
          name + " grad_rejected", Goldens.vec(exp.get("grad_rejected")), r.gradRejected());
      GOLDENS.closeMetrics(name, exp.getAsJsonObject("metrics"), r.result().metrics());
      n++;
    }
    assertEquals(41, n);
  }

  /** A case's {@code loss_type}: one name or a list of them. */
  private static java.util.List<DpoLossType> lossTypes(JsonElement e) {
    java.util.List<DpoLossType> out = new java.util.ArrayList<>();
    if (e.isJsonArray()) {
      e.getAsJsonArray().forEach(x -> out.add(DpoLossType.valueOf(x.getAsString().toUpperCase())));
    } else {
      out.add(DpoLossType.valueOf(e.getAsString().toUpperCase()));
    }
    return out;
  }

  private static java.util.List<Double> doubles(JsonElement e) {
    java.util.List<Double> out = new java.util.ArrayList<>();
    e.getAsJsonArray().forEach(x -> out.add(x.getAsDouble()));
    return out;
  }

  private static float[] floats(JsonElement e) {
    double[] v = Goldens.vec(e);
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return f;
  }
}
