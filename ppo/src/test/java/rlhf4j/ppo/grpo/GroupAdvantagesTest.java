package rlhf4j.ppo.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class GroupAdvantagesTest {

  private static final double NAN = Double.NaN;
  private static final Goldens GOLDENS = new Goldens();

  @AfterAll
  static void report() {
    System.out.println(GOLDENS.report("GRPO advantages (TRL grpo_trainer.py)"));
  }

  private static double[][] column(double... values) {
    double[][] out = new double[values.length][];
    for (int i = 0; i < values.length; i++) {
      out[i] = new double[] {values[i]};
    }
    return out;
  }

  private static GroupAdvantages.Result run(double[] rewards, int g, ScaleRewards scale) {
    return GroupAdvantages.compute(column(rewards), new double[] {1}, List.of("r"), g, scale);
  }

  @Test
  void groupScalingDividesByTheBesselStdOfEachGroupPlusEpsilon() {
    // group {1, 3}: mean 2, Bessel std sqrt(2); group {5, 5}: std 0
    GroupAdvantages.Result r = run(new double[] {1, 3, 5, 5}, 2, ScaleRewards.GROUP);
    double s = Math.sqrt(2) + 1e-4;
    assertArrayEquals(new double[] {-1 / s, 1 / s, 0, 0}, r.advantages(), 1e-12);
    assertArrayEquals(new boolean[] {false, false, true, true}, r.stdZero());
    assertEquals(0.5, r.metrics().get("frac_reward_zero_std"), 1e-12);
  }

  @Test
  void batchScalingKeepsTheGroupMeanButDividesByTheBatchStd() {
    // batch {1, 3, 5, 5}: mean 3.5, squares 6.25 + 0.25 + 2.25 + 2.25 = 11, Bessel var 11/3
    GroupAdvantages.Result r = run(new double[] {1, 3, 5, 5}, 2, ScaleRewards.BATCH);
    double s = Math.sqrt(11.0 / 3) + 1e-4;
    assertArrayEquals(new double[] {-1 / s, 1 / s, 0, 0}, r.advantages(), 1e-12);
    assertArrayEquals(new boolean[] {false, false, false, false}, r.stdZero());
  }

  @Test
  void noScalingIsTheCentredRewardAsInDrGrpo() {
    GroupAdvantages.Result r = run(new double[] {1, 3, 5, 6}, 2, ScaleRewards.NONE);
    assertArrayEquals(new double[] {-1, 1, -0.5, 0.5}, r.advantages(), 1e-12);
  }

  @Test
  void anUnscorableCompletionIsLeftOutOfTheBaselineAndGetsZeroAdvantage() {
    // {NaN, 2, 4}: nanmean 3, nanstd over 2 values sqrt(2)
    GroupAdvantages.Result r = run(new double[] {NAN, 2, 4}, 3, ScaleRewards.GROUP);
    double s = Math.sqrt(2) + 1e-4;
    assertArrayEquals(new double[] {0, -1 / s, 1 / s}, r.advantages(), 1e-12);
    assertTrue(Double.isNaN(r.rewards()[0]));
    assertEquals(3.0, r.metrics().get("reward"), 1e-12);
  }

  @Test
  void aGroupWithOneScorableCompletionHasNanStdAndZeroAdvantages() {
    GroupAdvantages.Result r = run(new double[] {NAN, 7, NAN}, 3, ScaleRewards.GROUP);
    assertArrayEquals(new double[] {0, 0, 0}, r.advantages(), 0);
    assertTrue(Double.isNaN(r.std()[1]));
    assertArrayEquals(new boolean[] {false, false, false}, r.stdZero()); // isclose(NaN, 0) false
  }

  @Test
  void weightedSumSkipsMissingScoresAndKeepsAllMissingRowsNan() {
    double[] sum =
        RewardAggregation.weightedSum(
            new double[][] {{NAN, 2}, {1, 2}, {NAN, NAN}}, new double[] {1, 0.5});
    assertEquals(1.0, sum[0], 0);
    assertEquals(2.0, sum[1], 0);
    assertTrue(Double.isNaN(sum[2]));
  }

  @Test
  void metricsUseTrlNames() {
    GroupAdvantages.Result r =
        GroupAdvantages.compute(
            new double[][] {{1, NAN}, {3, 1}},
            new double[] {1, 2},
            List.of("acc", "fmt"),
            2,
            ScaleRewards.GROUP);
    Map<String, Double> m = r.metrics();
    assertEquals(2.0, m.get("rewards/acc/mean"), 1e-12);
    assertEquals(1.0, m.get("rewards/fmt/mean"), 1e-12);
    assertTrue(Double.isNaN(m.get("rewards/fmt/std"))); // one value
    assertEquals(3.0, m.get("reward"), 1e-12); // (1 + 5) / 2
    assertEquals(Math.sqrt(8), m.get("reward_std"), 1e-12);
    assertEquals(0.0, m.get("frac_reward_zero_std"), 0);
  }

  @Test
  void rejectsABatchThatIsNotWholeGroups() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> run(new double[] {1, 2, 3}, 2, ScaleRewards.GROUP));
    assertTrue(e.getMessage().contains("numGenerations"));
  }

  @Test
  void matchesTrlGoldens() {
    int n = 0;
    for (JsonElement c : Goldens.load("grpo-advantages.json").getAsJsonArray()) {
      JsonObject o = c.getAsJsonObject();
      String name = o.get("name").getAsString();
      List<String> names = new ArrayList<>();
      o.getAsJsonArray("names").forEach(x -> names.add(x.getAsString()));
      GroupAdvantages.Result r =
          GroupAdvantages.compute(
              Goldens.mat(o.get("rewards_per_func")),
              Goldens.vec(o.get("weights")),
              names,
              o.get("num_generations").getAsInt(),
              ScaleRewards.valueOf(o.get("scale_rewards").getAsString().toUpperCase()),
              o.has("multi_objective_aggregation")
                  ? MultiObjectiveAggregation.valueOf(
                      o.get("multi_objective_aggregation").getAsString().toUpperCase())
                  : MultiObjectiveAggregation.SUM_THEN_NORMALIZE);
      JsonObject exp = o.getAsJsonObject("expected");
      GOLDENS.close(name + " rewards", Goldens.vec(exp.get("rewards")), r.rewards());
      GOLDENS.close(name + " advantages", Goldens.vec(exp.get("advantages")), r.advantages());
      GOLDENS.close(name + " std", Goldens.vec(exp.get("std")), r.std());
      assertArrayEquals(Goldens.bools(exp.get("is_std_zero")), r.stdZero(), name);
      GOLDENS.closeMetrics(name, exp.getAsJsonObject("metrics"), r.metrics());
      n++;
    }
    assertEquals(7, n);
  }

  @Test
  void gdpoTakesNoScaleRewards() {
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () ->
                GrpoConfig.builder()
                    .multiObjectiveAggregation(MultiObjectiveAggregation.NORMALIZE_THEN_SUM)
                    .scaleRewards(ScaleRewards.BATCH)
                    .build());
    org.junit.jupiter.api.Assertions.assertTrue(
        e.getMessage().contains("leave scaleRewards at GROUP"), e.getMessage());
  }
}
