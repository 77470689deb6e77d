package rlhf4j.ppo.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.OptionalDouble;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import rlhf4j.ppo.ManagerFixture;

class GrpoLossTest extends ManagerFixture {

  private static final Goldens GOLDENS = new Goldens();

  @AfterAll
  static void report() {
    System.out.println(GOLDENS.report("GRPO loss (TRL grpo_trainer.py _compute_loss)"));
  }

  private static GrpoLoss.Settings settings(
      GrpoLossType type,
      ImportanceSamplingLevel level,
      double beta,
      Double delta,
      double lo,
      double hi,
      int maxLen) {
    return new GrpoLoss.Settings(
        lo,
        hi,
        delta == null ? OptionalDouble.empty() : OptionalDouble.of(delta),
        beta,
        type,
        level,
        maxLen,
        false,
        1.0,
        1.05,
        1.0,
        OptionalDouble.empty());
  }

  /** Runs the loss with autograd; returns the result and the gradient of the loss wrt logProbs. */
  private record Run(GrpoLoss.Result result, double[] grad) {}

  private Run run(
      float[][] logp,
      float[][] old,
      float[][] ref,
      float[] adv,
      float[][] mask,
      GrpoLoss.Settings s,
      int ga,
      double items) {
    NDArray lp = manager.create(logp);
    lp.setRequiresGradient(true);
    GrpoLoss.Result r;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      r =
          GrpoLoss.compute(
              lp,
              old == null ? null : manager.create(old),
              ref == null ? null : manager.create(ref),
              manager.create(adv),
              manager.create(mask),
              null,
              s,
              ga,
              items);
      gc.backward(r.loss());
    }
    return new Run(r, lp.getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
  }

  private static final float[][] LOGP = {{-1f, -2f, -0.5f}, {-0.7f, -0.3f, -1.2f}};
  private static final float[][] MASK = {{1, 1, 1}, {1, 1, 0}};
  private static final float[] ADV = {2f, -1f};

  @Test
  void paddedPositionsOfARolloutSourcesArraysLeaveTheKlFinite() {
    // a rollout source's reference arrays hold 0 where padded; the policy may put a very low
    // log-prob there (here -100: exp(100) overflows float), which the mask must keep out
    float[][] logp = {{-1f, -2f, -0.5f}, {-0.7f, -0.3f, -100f}};
    float[][] ref = {{-1.1f, -1.9f, -0.6f}, {-0.6f, -0.4f, 0f}};
    GrpoLoss.Settings s =
        settings(GrpoLossType.BNPO, ImportanceSamplingLevel.TOKEN, 0.1, null, 0.2, 0.2, 3);
    Run padded = run(logp, null, ref, ADV, MASK, s, 1, 5);
    float[][] sameWhereActive = {{-1f, -2f, -0.5f}, {-0.7f, -0.3f, 0f}};
    Run clean = run(sameWhereActive, null, ref, ADV, MASK, s, 1, 5);
    assertTrue(
        Double.isFinite(padded.result().policyLoss()), "loss " + padded.result().policyLoss());
    assertEquals(clean.result().kl(), padded.result().kl(), 1e-6);
    assertArrayEquals(clean.grad(), padded.grad(), 1e-6);
  }

  /** The loss of LOGP / ADV / MASK at ratio 1 (no old log-probs), beta 0, 11 active tokens. */
  private Run onPolicy(GrpoLossType type, int ga) {
    return run(
        LOGP,
        null,
        null,
        ADV,
        MASK,
        settings(type, ImportanceSamplingLevel.TOKEN, 0, null, 0.2, 0.2, 7),
        ga,
        11);
  }

  @Test
  void atRatioOneTheGradientIsMinusAdvantageOverEachNormaliser() {
    // old = null: old is logp detached, ratio 1, beta 0. Lengths 3 and 2, B 2, 5 active tokens.
    double[][] perToken = {{2, 2, 2}, {-1, -1, 0}}; // A_i * m_it
    int ga = 2;
    for (GrpoLossType type :
        java.util.EnumSet.of(
            GrpoLossType.GRPO,
            GrpoLossType.BNPO,
            GrpoLossType.DR_GRPO,
            GrpoLossType.DAPO,
            GrpoLossType.LUSPO)) {
      double[] expected = new double[6];
      for (int i = 0; i < 2; i++) {
        for (int t = 0; t < 3; t++) {
          double norm =
              switch (type) {
                case GRPO -> (i == 0 ? 3 : 2) * 2.0 * ga; // token mean, batch mean, / GA
                case BNPO -> 5.0 * ga;
                case DR_GRPO -> 2.0 * 7 * ga; // B * maxCompletionLength, / GA
                case DAPO -> 11.0; // active tokens of the generation batch, no GA
                case LUSPO -> 2.0 * ga; // token sum, batch mean, / GA
                default -> throw new IllegalStateException(type.name());
              };
          expected[i * 3 + t] = -perToken[i][t] / norm;
        }
      }
      Run r = onPolicy(type, ga);
      assertArrayEquals(expected, r.grad(), 1e-7, type.name());
      double loss = r.result().loss().getFloat();
      double expectedLoss =
          switch (type) {
            case GRPO -> -((2.0 * 3 / 3) + (-1.0 * 2 / 2)) / 2 / ga;
            case BNPO -> -(6.0 - 2.0) / 5 / ga;
            case DR_GRPO -> -(6.0 - 2.0) / 14 / ga;
            case DAPO -> -(6.0 - 2.0) / 11;
            case LUSPO -> -(6.0 - 2.0) / 2 / ga;
            default -> throw new IllegalStateException(type.name());
          };
      assertEquals(expectedLoss, loss, 1e-7, type.name());
      double policyLoss = type == GrpoLossType.DAPO ? expectedLoss : expectedLoss * ga;
      assertEquals(policyLoss, r.result().policyLoss(), 1e-7, type.name() + " policy_loss");
      assertEquals(0.0, r.result().metrics().get("clip_ratio/region_mean"), 0);
      assertFalse(r.result().metrics().containsKey("kl"));
    }
  }

  @Test
  void sequenceLevelAtRatioOneHasTheSameGradientAsTokenLevel() {
    Run token =
        run(
            LOGP,
            null,
            null,
            ADV,
            MASK,
            settings(GrpoLossType.DAPO, ImportanceSamplingLevel.TOKEN, 0, null, 0.2, 0.2, 7),
            1,
            5);
    Run seq =
        run(
            LOGP,
            null,
            null,
            ADV,
            MASK,
            settings(GrpoLossType.DAPO, ImportanceSamplingLevel.SEQUENCE, 0, null, 0.2, 0.2, 7),
            1,
            5);
    assertArrayEquals(token.grad(), seq.grad(), 1e-7);
  }

  @Test
  void gspoUsesOneRatioPerSequenceFromTheMaskedMeanLogRatio() {
    // log-ratios 0.1 and 0.3 (the masked third is ignored): mean 0.2, rho = e^0.2 = 1.2214 > 1.2
    float[][] logp = {{0.1f, 0.3f, 5f}};
    float[][] old = {{0f, 0f, 0f}};
    Run r =
        run(
            logp,
            old,
            null,
            new float[] {1f},
            new float[][] {{1, 1, 0}},
            settings(GrpoLossType.BNPO, ImportanceSamplingLevel.SEQUENCE, 0, null, 0.2, 0.2, 7),
            1,
            2);
    assertEquals(-1.2, r.result().loss().getFloat(), 1e-6); // clipped: -min(rho A, 1.2 A)
    assertArrayEquals(new double[] {0, 0, 0}, r.grad(), 0); // the clipped branch has no gradient
    assertEquals(1.0, r.result().metrics().get("clip_ratio/high_mean"), 0); // per-sequence mean
    assertEquals(1.0, r.result().metrics().get("clip_ratio/region_mean"), 0);
  }

  @Test
  void sapoAndCispoAtRatioOne() {
    // old = null: ratio 1. SAPO's gate sigmoid(tau * 0) * 4 / tau = 2 / tau, its slope in logp
    // sigmoid'(0) * 4 = 1; tau 1 for A = 2 (row 0), 1.05 for A = -1 (row 1); token means, / GA
    int ga = 2;
    Run sapo = onPolicy(GrpoLossType.SAPO, ga);
    double tauNeg = (float) 1.05; // TRL's temperatures are float32
    assertEquals(
        -((2.0 / 1.0 * 2) + (2.0 / tauNeg * -1)) / 2 / ga, sapo.result().loss().getFloat(), 1e-7);
    assertArrayEquals(
        new double[] {
          -2.0 / 3 / 2 / ga,
          -2.0 / 3 / 2 / ga,
          -2.0 / 3 / 2 / ga,
          1.0 / 2 / 2 / ga,
          1.0 / 2 / 2 / ga,
          0
        },
        sapo.grad(),
        1e-7);
    assertTrue(sapo.result().metrics().isEmpty(), "SAPO logs no clip ratios, as TRL");
    // CISPO with TRL's default epsilon_high (= epsilon 0.2) caps the weight 1 at 0.2 and detaches
    // it: l = -0.2 * A * logp, gradient -0.2 * A / 11 (dapo's active tokens), one clipped row
    Run cispo = onPolicy(GrpoLossType.CISPO, ga);
    double sum = 0;
    double[] grad = new double[6];
    for (int i = 0; i < 2; i++) {
      for (int t = 0; t < 3; t++) {
        sum += -0.2f * ADV[i] * LOGP[i][t] * MASK[i][t];
        grad[i * 3 + t] = -0.2f * ADV[i] * MASK[i][t] / 11;
      }
    }
    assertEquals(sum / 11, cispo.result().loss().getFloat(), 1e-6);
    assertArrayEquals(grad, cispo.grad(), 1e-7);
    assertEquals(3.0 / 5, cispo.result().metrics().get("cispo_clip_ratio"), 1e-7);
  }

  @Test
  void clippingUsesEpsilonLowBelowAndEpsilonHighAbove() {
    float[][] old = {{0f, 0f}};
    GrpoLoss.Settings s =
        settings(GrpoLossType.BNPO, ImportanceSamplingLevel.TOKEN, 0, null, 0.2, 0.28, 7);
    float[][] logp = {{(float) Math.log(1.25), (float) Math.log(1.3)}};
    Run high = run(logp, old, null, new float[] {1f}, new float[][] {{1, 1}}, s, 1, 2);
    // 1.25 <= 1.28 unclipped; 1.3 clipped to 1.28
    assertEquals(-(1.25 + 1.28) / 2, high.result().loss().getFloat(), 1e-6);
    assertEquals(0.5, high.result().metrics().get("clip_ratio/high_mean"), 0);
    float[][] low = {{(float) Math.log(0.75), (float) Math.log(0.85)}};
    Run lo = run(low, old, null, new float[] {-1f}, new float[][] {{1, 1}}, s, 1, 2);
    // A < 0: -min(-rho, -clip(rho)) = max(rho, clip(rho)) -> 0.8 for 0.75, 0.85 for 0.85
    assertEquals((0.8 + 0.85) / 2, lo.result().loss().getFloat(), 1e-6);
    assertEquals(0.5, lo.result().metrics().get("clip_ratio/low_mean"), 0);
    assertEquals(0.0, lo.result().metrics().get("clip_ratio/high_mean"), 0);
  }

  @Test
  void deltaCapsTheUnclippedRatioFromAbove() {
    // rho 1.5 with A = -1: without delta loss = max(1.5, 1.2) = 1.5; with delta 1.3 it is 1.3
    float[][] logp = {{(float) Math.log(1.5)}};
    float[][] old = {{0f}};
    Run plain =
        run(
            logp,
            old,
            null,
            new float[] {-1f},
            new float[][] {{1}},
            settings(GrpoLossType.BNPO, ImportanceSamplingLevel.TOKEN, 0, null, 0.2, 0.2, 7),
            1,
            1);
    Run capped =
        run(
            logp,
            old,
            null,
            new float[] {-1f},
            new float[][] {{1}},
            settings(GrpoLossType.BNPO, ImportanceSamplingLevel.TOKEN, 0, 1.3, 0.2, 0.2, 7),
            1,
            1);
    assertEquals(1.5, plain.result().loss().getFloat(), 1e-6);
    assertEquals(1.3, capped.result().loss().getFloat(), 1e-6);
    assertArrayEquals(new double[] {0}, capped.grad(), 0); // capped: constant in logp
  }

  @Test
  void k3KlIsZeroAtTheReferenceAndExpMinusTwoAtDistanceOne() {
    float[][] logp = {{-1f, -2f}};
    float[][] ref = {{-1f, -1f}}; // d = ref - logp = 0 and 1
    Run r =
        run(
            logp,
            null,
            ref,
            new float[] {0f},
            new float[][] {{1, 1}},
            settings(GrpoLossType.BNPO, ImportanceSamplingLevel.TOKEN, 0.5, null, 0.2, 0.2, 7),
            1,
            2);
    double k3 = Math.E - 2; // exp(1) - 1 - 1
    assertEquals(k3 / 2, r.result().kl(), 1e-6);
    assertEquals(0.5 * k3 / 2, r.result().loss().getFloat(), 1e-6);
    // d/dlogp beta*(e^d - d - 1) = beta*(1 - e^d), / 2 tokens
    assertArrayEquals(new double[] {0, 0.5 * (1 - Math.E) / 2}, r.grad(), 1e-6);
    assertTrue(r.result().metrics().containsKey("kl"));
  }

  @Test
  void refusesBetaWithoutReferenceLogProbs() {
    NDArray lp = manager.create(LOGP);
    GrpoLoss.Settings s =
        settings(GrpoLossType.DAPO, ImportanceSamplingLevel.TOKEN, 0.04, null, 0.2, 0.2, 7);
    NDArray a = manager.create(ADV);
    NDArray m = manager.create(MASK);
    assertThrows(
        IllegalArgumentException.class,
        () -> GrpoLoss.compute(lp, null, null, a, m, null, s, 1, 5));
  }

  /** A golden case's loss settings; keys it leaves out take TRL's defaults. */
  private static GrpoLoss.Settings caseSettings(JsonObject o, int maxLen) {
    return new GrpoLoss.Settings(
        o.get("epsilon_low").getAsDouble(),
        o.get("epsilon_high").getAsDouble(),
        o.get("delta").isJsonNull()
            ? OptionalDouble.empty()
            : OptionalDouble.of(o.get("delta").getAsDouble()),
        o.get("beta").getAsDouble(),
        GrpoLossType.valueOf(o.get("loss_type").getAsString().toUpperCase()),
        ImportanceSamplingLevel.valueOf(o.get("level").getAsString().toUpperCase()),
        maxLen,
        o.has("use_bias_correction_kl") && o.get("use_bias_correction_kl").getAsBoolean(),
        o.has("sapo_temperature_pos") ? o.get("sapo_temperature_pos").getAsDouble() : 1.0,
        o.has("sapo_temperature_neg") ? o.get("sapo_temperature_neg").getAsDouble() : 1.05,
        o.has("top_entropy_quantile") ? o.get("top_entropy_quantile").getAsDouble() : 1.0,
        o.has("off_policy_mask_threshold")
            ? OptionalDouble.of(o.get("off_policy_mask_threshold").getAsDouble())
            : OptionalDouble.empty());
  }

  @Test
  void matchesTrlGoldensForEveryLossTypeLevelBetaDeltaAndBiasCorrectedKl() {
    JsonObject data = Goldens.load("grpo-loss.json").getAsJsonObject();
    JsonObject in = data.getAsJsonObject("inputs");
    int ga = in.get("gradient_accumulation_steps").getAsInt();
    double items = in.get("num_items_in_batch").getAsDouble();
    int maxLen = in.get("max_completion_length").getAsInt();
    int n = 0;
    for (JsonElement c : data.getAsJsonArray("cases")) {
      JsonObject o = c.getAsJsonObject();
      String name = o.get("name").getAsString();
      GrpoLoss.Settings s = caseSettings(o, maxLen);
      NDArray lp = Goldens.f32(manager, in.get("log_probs"));
      lp.setRequiresGradient(true);
      GrpoLoss.Result r;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        r =
            GrpoLoss.compute(
                lp,
                Goldens.f32(manager, in.get("old_log_probs")),
                Goldens.f32(manager, in.get("ref_log_probs")),
                Goldens.f32(manager, in.get("advantages")),
                Goldens.f32(manager, in.get("mask")),
                s.topEntropyQuantile() < 1
                    ? HighEntropyMask.of(
                        Goldens.f32(manager, in.get("entropies")),
                        Goldens.f32(manager, in.get("mask")),
                        1 - s.topEntropyQuantile())
                    : null,
                s,
                ga,
                items);
        gc.backward(r.loss());
      }
      JsonObject exp = o.getAsJsonObject("expected");
      GOLDENS.close(name + " loss", exp.get("loss").getAsDouble(), r.loss().getFloat());
      GOLDENS.close(name + " policy_loss", exp.get("policy_loss").getAsDouble(), r.policyLoss());
      double[][] grad = Goldens.mat(exp.get("grad"));
      double[] flat = lp.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
      for (int i = 0; i < grad.length; i++) {
        for (int t = 0; t < grad[i].length; t++) {
          GOLDENS.close(
              name + " grad[" + i + "," + t + "]", grad[i][t], flat[i * grad[i].length + t]);
        }
      }
      GOLDENS.closeMetrics(name, exp.getAsJsonObject("metrics"), r.metrics());
      n++;
    }
    assertEquals(95, n);
  }
}
