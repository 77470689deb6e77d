package rlhf4j.ppo.rloo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import rlhf4j.ppo.grpo.Goldens;

class RlooAdvantagesTest {

  private static final double NAN = Double.NaN;
  private static final Goldens GOLDENS = new Goldens();

  @AfterAll
  static void report() {
    System.out.println(GOLDENS.report("RLOO advantages (TRL rloo_trainer.py)"));
  }

  private static RlooAdvantages.Result noKl(double[] rewards, int g, boolean normalize) {
    return RlooAdvantages.compute(rewards, null, null, null, 0.0, g, normalize, null);
  }

  @Test
  void leaveOneOutBaselineIsTheMeanOfTheSiblings() {
    // G = 3: A_i = r_i - (sum - r_i) / 2
    RlooAdvantages.Result r = noKl(new double[] {1, 2, 6}, 3, false);
    assertArrayEquals(new double[] {1 - 4, 2 - 3.5, 6 - 1.5}, r.advantages(), 1e-12);
  }

  @Test
  void anUnscorableSiblingIsLeftOutOfTheBaselineAndGetsZero() {
    // {1, NaN, 4}: two scorable, each baseline is the other one
    RlooAdvantages.Result r = noKl(new double[] {1, NAN, 4}, 3, false);
    assertArrayEquals(new double[] {-3, 0, 3}, r.advantages(), 1e-12);
    // a group with a single scorable completion: 0/0 baseline, advantage 0
    RlooAdvantages.Result single = noKl(new double[] {NAN, 5, NAN}, 3, false);
    assertArrayEquals(new double[] {0, 0, 0}, single.advantages(), 0);
  }

  @Test
  void theSequenceK1KlIsSubtractedFromTheRewardFirst() {
    double[][] old = {{-1.0, -2.0}, {-0.5, -0.5}};
    double[][] ref = {{-1.2, -1.0}, {-0.5, -0.9}};
    double[][] mask = {{1, 0}, {1, 1}};
    // KL sums: 0.2 (second token masked) and 0.4; beta 0.5 -> rewards 1 - 0.1, 3 - 0.2
    RlooAdvantages.Result r =
        RlooAdvantages.compute(new double[] {1, 3}, old, ref, mask, 0.5, 2, false, null);
    assertArrayEquals(new double[] {0.9, 2.8}, r.rewards(), 1e-12);
    assertArrayEquals(new double[] {0.9 - 2.8, 2.8 - 0.9}, r.advantages(), 1e-12);
    assertEquals((0.2 + 0.4) / 3, r.kl(), 1e-12);
  }

  @Test
  void normalisationUsesTheBatchMeanAndBesselStdPlusEpsilon() {
    RlooAdvantages.Result r = noKl(new double[] {1, 3, 0, 0}, 2, true);
    // raw advantages {-2, 2, 0, 0}: mean 0, Bessel std sqrt(8/3)
    double s = Math.sqrt(8.0 / 3) + 1e-4;
    assertArrayEquals(new double[] {-2 / s, 2 / s, 0, 0}, r.advantages(), 1e-12);
    assertArrayEquals(new boolean[] {false, true}, r.stdZero());
    assertTrue(Double.isNaN(r.kl()));
  }

  @Test
  void rejectsBetaWithoutLogProbs() {
    assertThrows(
        IllegalArgumentException.class,
        () -> RlooAdvantages.compute(new double[] {1, 2}, null, null, null, 0.05, 2, false, null));
  }

  @Test
  void matchesTrlGoldens() {
    int n = 0;
    for (JsonElement c : Goldens.load("rloo-advantages.json").getAsJsonArray()) {
      JsonObject o = c.getAsJsonObject();
      String name = o.get("name").getAsString();
      RlooAdvantages.Result r =
          RlooAdvantages.compute(
              Goldens.vec(o.get("rewards")),
              Goldens.mat(o.get("old_log_probs")),
              Goldens.mat(o.get("ref_log_probs")),
              Goldens.mat(o.get("mask")),
              o.get("beta").getAsDouble(),
              o.get("num_generations").getAsInt(),
              o.get("normalize_advantages").getAsBoolean(),
              o.get("reward_clip_range").isJsonNull()
                  ? null
                  : Goldens.vec(o.get("reward_clip_range")));
      JsonObject exp = o.getAsJsonObject("expected");
      GOLDENS.close(name + " rewards", Goldens.vec(exp.get("rewards")), r.rewards());
      GOLDENS.close(name + " advantages", Goldens.vec(exp.get("advantages")), r.advantages());
      GOLDENS.close(name + " kl", Goldens.num(exp.get("kl")), r.kl());
      assertArrayEquals(Goldens.bools(exp.get("is_std_zero")), r.stdZero(), name);
      n++;
    }
    assertEquals(4, n);
  }
}
