package rlhf4j.policy.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LrScheduleTest {

  private static final double TOL = 1e-15;

  @Test
  void linearWarmsUpFromZeroThenDecaysToZero() {
    LrSchedule s = LrSchedule.linear(1e-3, Warmup.ofSteps(10), 110);
    assertEquals(0.0, s.lr(0), TOL);
    assertEquals(1e-4, s.lr(1), TOL);
    assertEquals(5e-4, s.lr(5), TOL);
    assertEquals(1e-3, s.lr(10), TOL);
    assertEquals(1e-3 * 99 / 100, s.lr(11), TOL);
    assertEquals(5e-4, s.lr(60), TOL);
    assertEquals(0.0, s.lr(110), TOL);
    assertEquals(0.0, s.lr(200), TOL);
  }

  @Test
  void warmupRatioRoundsUpLikeTransformers() {
    assertEquals(10, Warmup.ofRatio(0.1).steps(95)); // ceil(9.5)
    LrSchedule s = LrSchedule.linear(1e-3, Warmup.ofRatio(0.1), 95);
    assertEquals(5e-4, s.lr(5), TOL);
    assertEquals(1e-3, s.lr(10), TOL);
    assertEquals(1e-3 * 43 / 85, s.lr(52), TOL);
  }

  @Test
  void linearWithoutWarmupStartsAtPeak() {
    LrSchedule s = LrSchedule.linear(2e-5, Warmup.none(), 4);
    assertEquals(2e-5, s.lr(0), TOL);
    assertEquals(1e-5, s.lr(2), TOL);
    assertEquals(5e-6, s.lr(3), TOL);
  }

  @Test
  void cosineHitsHalfAtMidpointAndZeroAtTheEnd() {
    LrSchedule s = LrSchedule.cosine(1e-3, 0, Warmup.ofSteps(10), 110);
    assertEquals(5e-4, s.lr(5), TOL);
    assertEquals(1e-3, s.lr(10), TOL);
    assertEquals(1e-3 * 0.5 * (1 + Math.sqrt(0.5)), s.lr(35), 1e-15); // progress 1/4
    assertEquals(5e-4, s.lr(60), TOL);
    assertEquals(0.0, s.lr(110), TOL);
    assertEquals(0.0, s.lr(500), TOL); // capped: no second half-cycle
  }

  @Test
  void cosineDecaysToItsFloor() {
    LrSchedule s = LrSchedule.cosine(1e-3, 1e-4, Warmup.ofSteps(10), 110);
    assertEquals(0.0, s.lr(0), TOL); // warm-up starts at 0, not at the floor
    assertEquals(5.5e-4, s.lr(60), TOL);
    assertEquals(1e-4, s.lr(110), TOL);
    assertEquals(1e-4, s.lr(1000), TOL);
  }

  @Test
  void constantWithWarmup() {
    LrSchedule s = LrSchedule.constant(2e-3, Warmup.ofSteps(4), 100);
    assertEquals(0.0, s.lr(0), TOL);
    assertEquals(5e-4, s.lr(1), TOL);
    assertEquals(2e-3, s.lr(4), TOL);
    assertEquals(2e-3, s.lr(99), TOL);
    assertEquals(3e-4, LrSchedule.constant(3e-4).lr(12345), TOL);
  }

  @Test
  void rejectsInvalidArguments() {
    LrSchedule s = LrSchedule.linear(1e-3, Warmup.none(), 10);
    assertThrows(IllegalArgumentException.class, () -> s.lr(-1));
    IllegalArgumentException tooLong =
        assertThrows(
            IllegalArgumentException.class, () -> LrSchedule.linear(1e-3, Warmup.ofSteps(11), 10));
    assertTrue(tooLong.getMessage().contains("totalSteps"), tooLong.getMessage());
    IllegalArgumentException floor =
        assertThrows(
            IllegalArgumentException.class, () -> LrSchedule.cosine(1e-3, 2e-3, Warmup.none(), 10));
    assertTrue(floor.getMessage().contains("minLr"), floor.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Warmup.ofRatio(1.5));
  }
}
