package rlhf4j.policy.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.optim.LrScheduleType;

class SftConfigTest {

  @Test
  void defaultsFollowTrlAndTransformers() {
    SftConfig c = SftConfig.defaults();
    assertEquals(2e-5, c.learningRate());
    assertEquals(1024, c.maxLength());
    assertEquals(3, c.epochs());
    assertEquals(-1, c.maxSteps());
    assertEquals(8, c.batchSize());
    assertEquals(LrScheduleType.LINEAR, c.scheduler());
    assertEquals(0.0, c.warmupRatio());
    assertEquals(0.0, c.weightDecay());
    assertEquals(1.0, c.maxGradNorm());
    assertEquals(42, c.seed());
    assertTrue(c.completionOnlyLoss());
    assertFalse(c.packing());
    assertEquals(10, c.logEvery());
    assertEquals(c, c.toBuilder().build());
  }

  @Test
  void totalStepsComeFromEpochsUnlessMaxStepsIsSet() {
    SftConfig c = SftConfig.builder().batchSize(4).epochs(2).build();
    assertEquals(6, c.totalSteps(10)); // ceil(10/4) = 3 per epoch
    assertEquals(7, c.toBuilder().maxSteps(7).build().totalSteps(10));
  }

  private static void assertRejected(String field, UnaryOperator<SftConfig.Builder> change) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> change.apply(SftConfig.builder()).build());
    assertTrue(e.getMessage().startsWith(field), e.getMessage());
  }

  @Test
  void invalidValuesAreRejectedNamingTheField() {
    assertRejected("learningRate", b -> b.learningRate(0));
    assertRejected("learningRate", b -> b.learningRate(Double.NaN));
    assertRejected("epochs", b -> b.epochs(0));
    assertRejected("maxSteps", b -> b.maxSteps(0));
    assertRejected("batchSize", b -> b.batchSize(0));
    assertRejected("maxLength", b -> b.maxLength(1));
    assertRejected("warmupRatio", b -> b.warmupRatio(1.5));
    assertRejected("weightDecay", b -> b.weightDecay(-1));
    assertRejected("maxGradNorm", b -> b.maxGradNorm(-0.5));
    assertRejected("logEvery", b -> b.logEvery(0));
  }
}
