package rlhf4j.ppo.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import org.junit.jupiter.api.Test;
import rlhf4j.ppo.ManagerFixture;

class RewardsTest extends ManagerFixture {

  @Test
  void scoreLandsOnTheLastUnmaskedTokenOfEachRow() {
    NDArray mask = manager.create(new double[][] {{0, 1, 0, 1, 0}, {1, 0, 0, 0, 0}});
    assertArrayEquals(
        new double[] {0, 0, 0, 1, 0, 1, 0, 0, 0, 0},
        Rewards.lastTokenOneHot(mask).toDoubleArray(),
        0);
  }

  @Test
  void rewardsAreMinusBetaTimesKlPlusTheScore() {
    NDArray lp = manager.create(new double[][] {{-1, -2, -3}});
    NDArray ref = manager.create(new double[][] {{-2, -2, -1}});
    NDArray mask = manager.create(new double[][] {{1, 1, 0}});
    NDArray scores = manager.create(new double[] {3});
    Rewards.Result r = Rewards.compute(scores, lp, ref, mask, 0.5, KlPenalty.KL);
    // kl = {1, 0, -2}; -0.5 kl = {-0.5, 0, 1}; score 3 at index 1
    assertArrayEquals(new double[] {1, 0, -2}, r.kls().toDoubleArray(), 0);
    assertArrayEquals(new double[] {-0.5, 0, 1}, r.nonScoreRewards().toDoubleArray(), 0);
    assertArrayEquals(new double[] {-0.5, 3, 1}, r.rewards().toDoubleArray(), 0);
  }

  @Test
  void emptyRowIsRejected() {
    NDArray lp = manager.create(new double[][] {{-1, -2}, {-1, -1}});
    NDArray mask = manager.create(new double[][] {{1, 1}, {0, 0}});
    NDArray scores = manager.create(new double[] {1, 2});
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Rewards.compute(scores, lp, lp, mask, 0.2, KlPenalty.KL));
    assertTrue(e.getMessage().contains("at least one unmasked token"), e.getMessage());
  }
}
