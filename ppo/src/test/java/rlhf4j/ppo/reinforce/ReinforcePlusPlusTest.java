package rlhf4j.ppo.reinforce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import rlhf4j.ppo.grpo.Goldens;

class ReinforcePlusPlusTest {

  private static final Goldens GOLDENS = new Goldens();

  @AfterAll
  static void report() {
    System.out.println(GOLDENS.report("REINFORCE++ (OpenRLHF experience_maker.py)"));
  }

  private static double[][] zeros(int b, int t) {
    return new double[b][t];
  }

  @Test
  void theScoreLandsOnTheLastActiveTokenAndReturnsAreDiscounted() {
    // row 0: mask {1, 1}, score 1 -> rewards {0, 1}, gamma 0.5 -> returns {0.5, 1}
    // row 1: mask {1, 0}, score 3 -> rewards {3, 0}, returns {3, 0}
    ReinforceConfig cfg = ReinforceConfig.builder().gamma(0.5).samplesPerPrompt(2).build();
    ReinforcePlusPlus.Result r =
        ReinforcePlusPlus.compute(
            new double[] {1, 3}, zeros(2, 2), zeros(2, 2), new double[][] {{1, 1}, {1, 0}}, cfg);
    assertArrayEquals(new double[] {0, 1}, r.rewards()[0], 0);
    assertArrayEquals(new double[] {3, 0}, r.rewards()[1], 0);
    assertArrayEquals(new double[] {0.5, 1}, r.returns()[0], 1e-12);
    assertArrayEquals(new double[] {3, 0}, r.returns()[1], 1e-12);
    // whitening over the 3 active tokens {0.5, 1, 3}: mean 1.5, population var 3.5/3
    double rstd = 1 / Math.sqrt(3.5 / 3);
    assertEquals(1.5, r.mean(), 1e-12);
    assertEquals(rstd, r.rstd(), 1e-12);
    assertArrayEquals(new double[] {-1 * rstd, -0.5 * rstd}, r.advantages()[0], 1e-12);
    // the masked position is transformed too: (0 - 1.5) * rstd, as in OpenRLHF
    assertArrayEquals(new double[] {1.5 * rstd, -1.5 * rstd}, r.advantages()[1], 1e-12);
  }

  @Test
  void zeroVarianceUsesTheFloorOf1em8() {
    ReinforcePlusPlus.Result r =
        ReinforcePlusPlus.compute(
            new double[] {2},
            zeros(1, 3),
            zeros(1, 3),
            new double[][] {{1, 1, 0}},
            ReinforceConfig.builder().build());
    assertArrayEquals(new double[] {2, 2, 0}, r.returns()[0], 0);
    assertEquals(1e4, r.rstd(), 1e-6);
    assertArrayEquals(new double[] {0, 0, -2e4}, r.advantages()[0], 1e-6);
  }

  @Test
  void theK1KlPenaltyIsClampedToTenPerToken() {
    double[][] old = {{0, 0}};
    double[][] ref = {{-20, -0.5}}; // k1 = old - ref = 20 -> 10, 0.5
    ReinforcePlusPlus.Result r =
        ReinforcePlusPlus.compute(
            new double[] {1},
            old,
            ref,
            new double[][] {{1, 1}},
            ReinforceConfig.builder().klCoef(0.01).build());
    assertArrayEquals(new double[] {-0.1, -0.005 + 1}, r.rewards()[0], 1e-12);
    assertArrayEquals(new double[] {0.895, 0.995}, r.returns()[0], 1e-12);
  }

  @Test
  void scoresAreClippedToTheRewardClipRange() {
    ReinforcePlusPlus.Result r =
        ReinforcePlusPlus.compute(
            new double[] {12.5, -30},
            zeros(2, 1),
            zeros(2, 1),
            new double[][] {{1}, {1}},
            ReinforceConfig.builder().build());
    assertArrayEquals(new double[] {10, -10}, r.scores(), 0);
  }

  @Test
  void theBaselineIsSubtractedBeforeTheClipAsOpenRlhfDoes() {
    // {30, 10}: group mean 20 -> {10, -10}, then the clip changes nothing.
    // (clipping first would give {10, 10} and a zero advantage)
    ReinforcePlusPlus.Result r =
        ReinforcePlusPlus.compute(
            new double[] {30, 10},
            zeros(2, 1),
            zeros(2, 1),
            new double[][] {{1}, {1}},
            ReinforceConfig.builder().baseline(true).samplesPerPrompt(2).build());
    assertArrayEquals(new double[] {10, -10}, r.scores(), 0);
  }

  @Test
  void withoutStdNormOnlyTheMeanIsRemoved() {
    ReinforcePlusPlus.Result r =
        ReinforcePlusPlus.compute(
            new double[] {1, 3},
            zeros(2, 1),
            zeros(2, 1),
            new double[][] {{1}, {1}},
            ReinforceConfig.builder().stdNorm(false).build());
    assertArrayEquals(new double[] {-1}, r.advantages()[0], 0);
    assertArrayEquals(new double[] {1}, r.advantages()[1], 0);
  }

  @Test
  void configDefaultsAreOpenRlhfsAndTheBaselineNeedsGammaOne() {
    ReinforceConfig c = ReinforceConfig.builder().build();
    assertEquals(0.01, c.klCoef());
    assertEquals(1.0, c.gamma());
    assertEquals(-10, c.rewardClipLow());
    assertEquals(10, c.rewardClipHigh());
    assertEquals(0.2, c.epsClip());
    assertTrue(c.stdNorm());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ReinforceConfig.builder().baseline(true).samplesPerPrompt(2).gamma(0.9).build());
    assertTrue(e.getMessage().contains("gamma"));
    assertThrows(
        IllegalArgumentException.class, () -> ReinforceConfig.builder().baseline(true).build());
  }

  @Test
  void anEmptyMaskIsRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ReinforcePlusPlus.compute(
                new double[] {1},
                zeros(1, 2),
                zeros(1, 2),
                new double[][] {{0, 0}},
                ReinforceConfig.builder().build()));
  }

  @Test
  void matchesOpenRlhfGoldens() {
    int n = 0;
    for (JsonElement c : Goldens.load("reinforce-plus-plus.json").getAsJsonArray()) {
      JsonObject o = c.getAsJsonObject();
      String name = o.get("name").getAsString();
      double[] clip = Goldens.vec(o.get("reward_clip_range"));
      ReinforceConfig cfg =
          ReinforceConfig.builder()
              .klCoef(o.get("kl_coef").getAsDouble())
              .gamma(o.get("gamma").getAsDouble())
              .rewardClipRange(clip[0], clip[1])
              .baseline(o.get("baseline").getAsBoolean())
              .samplesPerPrompt(o.get("samples_per_prompt").getAsInt())
              .stdNorm(o.get("std_norm").getAsBoolean())
              .build();
      ReinforcePlusPlus.Result r =
          ReinforcePlusPlus.compute(
              Goldens.vec(o.get("scores")),
              Goldens.mat(o.get("old_log_probs")),
              Goldens.mat(o.get("ref_log_probs")),
              Goldens.mat(o.get("mask")),
              cfg);
      JsonObject exp = o.getAsJsonObject("expected");
      GOLDENS.close(name + " scores", Goldens.vec(exp.get("scores")), r.scores());
      GOLDENS.close(name + " rewards", Goldens.mat(exp.get("rewards")), r.rewards());
      GOLDENS.close(name + " returns", Goldens.mat(exp.get("returns")), r.returns());
      GOLDENS.close(name + " advantages", Goldens.mat(exp.get("advantages")), r.advantages());
      GOLDENS.close(name + " mean", exp.get("mean").getAsDouble(), r.mean());
      GOLDENS.close(name + " rstd", exp.get("rstd").getAsDouble(), r.rstd());
      n++;
    }
    assertEquals(5, n);
  }
}
