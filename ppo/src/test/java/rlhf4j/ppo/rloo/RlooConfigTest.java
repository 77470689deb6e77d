package rlhf4j.ppo.rloo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RlooConfigTest {

  @Test
  void defaultsAreTrlV19() {
    RlooConfig c = RlooConfig.builder().build();
    assertEquals(2, c.numGenerations());
    assertEquals(1, c.numIterations());
    assertEquals(0.05, c.beta());
    assertEquals(0.2, c.epsilon());
    assertEquals(0.2, c.epsilonHigh());
    assertFalse(c.normalizeAdvantages());
    assertTrue(c.rewardClipRange().isEmpty());
    assertNull(c.clipRangeOrNull());
    assertFalse(c.maskTruncatedCompletions());
    assertEquals(1e-6, c.learningRate());
    assertArrayEquals(new double[] {1, 1}, c.weights(2));
  }

  @Test
  void invalidValuesAreRejectedWithTheFieldName() {
    assertMessage("numGenerations", () -> RlooConfig.builder().numGenerations(1).build());
    assertMessage("beta", () -> RlooConfig.builder().beta(Double.NaN).build());
    assertMessage(
        "rewardClipRange", () -> RlooConfig.builder().rewardClipRange(new double[] {1, 0}).build());
    assertArrayEquals(
        new double[] {-1, 1},
        RlooConfig.builder().rewardClipRange(new double[] {-1, 1}).build().clipRangeOrNull());
  }

  @Test
  void theKlNeedsReferenceAndOldLogProbsAndIterationsNeedOldOnes() {
    RlooConfig kl = RlooConfig.builder().beta(0.05).build();
    assertTrue(kl.needsReference());
    assertTrue(kl.needsOldLogProbs());
    RlooConfig none = RlooConfig.builder().beta(0).build();
    assertFalse(none.needsReference());
    assertFalse(none.needsOldLogProbs());
    RlooConfig iterations = RlooConfig.builder().beta(0).numIterations(2).build();
    assertFalse(iterations.needsReference());
    assertTrue(iterations.needsOldLogProbs());
  }

  private static void assertMessage(String field, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(field), e.getMessage());
  }
}
