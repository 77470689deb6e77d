package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.Rollout;

/** Phase 2 of the critic-free trainers when the rollout source scored where it generated. */
class GroupedStepsScoresTest {
  static final RewardFunction NEVER =
      RewardFunction.named(
          "length",
          batch -> {
            throw new AssertionError("the source's scores serve; no reward runs here");
          });

  static Rollout scored(double[][] rewardsPerFunc) {
    List<long[]> q = List.of(new long[] {1}, new long[] {1});
    List<long[]> r = List.of(new long[] {2}, new long[] {3});
    List<float[]> lp = List.of(new float[] {-1f}, new float[] {-2f});
    return new Rollout(q, r, lp, null, null, new boolean[2], lp, null, rewardsPerFunc);
  }

  @Test
  void theSourcesTableServesWithoutCallingTheFunctions() {
    double[][] table = {{1.0}, {Double.NaN}};
    assertSame(table, GroupedSteps.scores(scored(table), new RewardFuncs(List.of(NEVER)), null));
  }

  @Test
  void aTableOfOtherFunctionsIsRefusedNamingTheTrainers() {
    double[][] table = {{1.0, 0.0}, {0.5, 1.0}};
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> GroupedSteps.scores(scored(table), new RewardFuncs(List.of(NEVER)), null));
    assertTrue(e.getMessage().contains("scored with 2 reward functions"), e.getMessage());
    assertTrue(e.getMessage().contains("(length)"), e.getMessage());
  }
}
