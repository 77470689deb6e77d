package rlhf4j.ppo.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DpoConfigTest {

  @Test
  void defaultsAreTrlV19() {
    DpoConfig c = DpoConfig.builder().build();
    assertEquals(0.1, c.beta());
    assertEquals(0.0, c.labelSmoothing());
    assertEquals(java.util.List.of(DpoLossType.SIGMOID), c.lossType());
    assertEquals(java.util.List.of(1.0), c.lossWeights());
    assertFalse(c.precomputeRefLogProbs());
    assertEquals(1024, c.maxLength());
    assertEquals(1e-6, c.learningRate());
  }

  @Test
  void invalidValuesAreRejectedWithTheFieldName() {
    assertMessage("beta", () -> DpoConfig.builder().beta(0).build());
    assertMessage("labelSmoothing", () -> DpoConfig.builder().labelSmoothing(0.5).build());
    assertMessage("lossType", () -> DpoConfig.builder().lossType((DpoLossType) null).build());
    assertMessage(
        "lossType", () -> DpoConfig.builder().lossType(java.util.List.<DpoLossType>of()).build());
    assertMessage(
        "lossWeights",
        () ->
            DpoConfig.builder()
                .lossType(java.util.List.of(DpoLossType.SIGMOID, DpoLossType.SFT))
                .lossWeights(java.util.List.of(1.0))
                .build());
  }

  private static void assertMessage(String field, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(field), e.getMessage());
  }
}
