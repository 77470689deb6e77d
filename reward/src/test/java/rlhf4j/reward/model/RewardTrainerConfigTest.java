package rlhf4j.reward.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import rlhf4j.policy.optim.LrScheduleType;

class RewardTrainerConfigTest {
  @Test
  void defaultsAreTheDocumentedTrlAndTransformersValues() {
    RewardTrainerConfig c = RewardTrainerConfig.defaults();
    assertEquals(3, c.epochs());
    assertEquals(8, c.batchSize());
    assertEquals(8, c.evalBatchSize());
    assertEquals(1e-4, c.learningRate());
    assertEquals(LrScheduleType.LINEAR, c.schedule());
    assertEquals(0, c.warmupRatio());
    assertEquals(0, c.optimizer().weightDecay());
    assertEquals(1e-8, c.optimizer().eps());
    assertEquals(1.0, c.maxGradNorm());
    assertEquals(0, c.centerRewardsCoefficient());
    assertEquals(1024, c.maxLength());
    assertEquals(42, c.seed());
    assertEquals(c, c.toBuilder().build());
  }

  @Test
  void invalidValuesAreRejectedNamingTheField() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardTrainerConfig.builder().optBatchSize(0).build());
    assertEquals("batchSize must be > 0, got 0", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardTrainerConfig.builder().optLearningRate(Double.NaN).build());
    assertTrue(e.getMessage().startsWith("learningRate"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardTrainerConfig.builder().optWarmupRatio(1.5).build());
    assertTrue(e.getMessage().startsWith("warmupRatio"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardTrainerConfig.builder().optCenterRewardsCoefficient(-0.1).build());
    assertTrue(e.getMessage().startsWith("centerRewardsCoefficient"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardTrainerConfig.builder().optMaxGradNorm(-1).build());
    assertTrue(e.getMessage().startsWith("maxGradNorm"), e.getMessage());
  }
}
