package rlhf4j.ppo.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GrpoConfigTest {

  @Test
  void defaultsAreTrlV19() {
    GrpoConfig c = GrpoConfig.builder().build();
    assertEquals(8, c.numGenerations());
    assertEquals(1, c.numIterations());
    assertEquals(0.2, c.epsilon());
    assertEquals(0.2, c.epsilonHigh());
    assertTrue(c.delta().isEmpty());
    assertEquals(0.0, c.beta());
    assertEquals(GrpoLossType.DAPO, c.lossType());
    assertEquals(ScaleRewards.GROUP, c.scaleRewards());
    assertEquals(ImportanceSamplingLevel.TOKEN, c.importanceSamplingLevel());
    assertFalse(c.maskTruncatedCompletions());
    assertEquals(512, c.maxCompletionLength());
    assertEquals(1.0, c.temperature());
    assertEquals(1e-6, c.learningRate());
    assertFalse(c.needsReference());
    assertFalse(c.needsOldLogProbs());
    assertArrayEquals(new double[] {1, 1, 1}, c.weights(3));
  }

  @Test
  void epsilonHighFollowsEpsilonUnlessSet() {
    assertEquals(0.3, GrpoConfig.builder().epsilon(0.3).build().epsilonHigh());
    assertEquals(0.28, GrpoConfig.builder().epsilonHigh(0.28).build().epsilonHigh());
    GrpoLoss.Settings s = GrpoConfig.builder().epsilonHigh(0.28).delta(1.5).build().lossSettings();
    assertEquals(0.2, s.epsilonLow());
    assertEquals(1.5, s.delta().getAsDouble());
  }

  @Test
  void invalidValuesAreRejectedWithTheFieldName() {
    assertMessage("numGenerations", () -> GrpoConfig.builder().numGenerations(1).build());
    assertMessage("numIterations", () -> GrpoConfig.builder().numIterations(0).build());
    assertMessage("epsilon", () -> GrpoConfig.builder().epsilon(1.0).build());
    assertMessage("delta", () -> GrpoConfig.builder().delta(0.9).build());
    assertMessage("beta", () -> GrpoConfig.builder().beta(-0.1).build());
    assertMessage("temperature", () -> GrpoConfig.builder().temperature(0).build());
    assertMessage(
        "rewardWeights", () -> GrpoConfig.builder().rewardWeights(1, 2).build().weights(3));
  }

  private static void assertMessage(String field, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(field), e.getMessage());
  }
}
