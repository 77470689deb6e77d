package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class KlControllerTest {

  @Test
  void adaptiveUpdateFollowsTheClippedProportionalRule() {
    AdaptiveKlController ctl = new AdaptiveKlController(0.2, 6, 10_000);
    // KL 6.6: e = 6.6/6 - 1 = 0.1; beta = 0.2 * (1 + 0.1 * 256 / 10000) = 0.2 * 1.00256
    ctl.update(6.6, 256);
    assertEquals(0.200512, ctl.value(), 1e-12);
    // KL 30: e = 4 clipped to 0.2; beta *= 1 + 0.2 * 128 / 10000 = 1.00256
    ctl.update(30, 128);
    assertEquals(0.200512 * 1.00256, ctl.value(), 1e-12);
    // KL 0: e = -1 clipped to -0.2; beta *= 1 - 0.2 * 1000 / 10000 = 0.98
    ctl.update(0, 1000);
    assertEquals(0.200512 * 1.00256 * 0.98, ctl.value(), 1e-12);
  }

  @Test
  void fixedControllerIgnoresUpdates() {
    FixedKlController ctl = new FixedKlController(0.05);
    ctl.update(100, 128);
    assertEquals(0.05, ctl.value(), 0);
  }

  @Test
  void stateRoundTripsThroughExportAndImport() {
    AdaptiveKlController a = new AdaptiveKlController(0.2, 6, 10_000);
    a.update(10, 500);
    AdaptiveKlController b = new AdaptiveKlController(0.2, 6, 10_000);
    b.importState(a.exportState());
    assertEquals(a.value(), b.value(), 0);
    a.update(3, 64);
    b.update(3, 64);
    assertEquals(a.value(), b.value(), 0);
    assertThrows(IllegalArgumentException.class, () -> b.importState(Double.NaN));
  }

  @Test
  void configPicksTheController() {
    assertInstanceOf(
        AdaptiveKlController.class, KlController.of(PpoConfig.builder().batchSize(8).build()));
    KlController fixed =
        KlController.of(
            PpoConfig.builder().batchSize(8).adaptiveKl(false).initKlCoef(0.05).build());
    assertInstanceOf(FixedKlController.class, fixed);
    assertEquals(0.05, fixed.value(), 0);
  }

  @Test
  void invalidControllerArgumentsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new AdaptiveKlController(0.2, 0, 10));
    assertThrows(IllegalArgumentException.class, () -> new AdaptiveKlController(-1, 6, 10));
    assertThrows(IllegalArgumentException.class, () -> new FixedKlController(Double.NaN));
    AdaptiveKlController ctl = new AdaptiveKlController(0.2, 6, 10_000);
    assertThrows(IllegalArgumentException.class, () -> ctl.update(Double.NaN, 8));
  }
}
