package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ConfigChecksTest {

  @Test
  void atLeastNamesTheFieldTheBoundAndTheValue() {
    assertDoesNotThrow(() -> ConfigChecks.atLeast("maxLength", 2, 2));
    var e =
        assertThrows(IllegalArgumentException.class, () -> ConfigChecks.atLeast("maxLength", 1, 2));
    assertEquals("maxLength must be >= 2, got 1", e.getMessage());
  }

  @Test
  void positiveRefusesZeroNanAndInfinityAndAppendsTheHint() {
    assertDoesNotThrow(() -> ConfigChecks.positive("beta", 1e-9));
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThrows(IllegalArgumentException.class, () -> ConfigChecks.positive("beta", bad));
    }
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ConfigChecks.positive("klTarget", 0, "TRL uses 6"));
    assertEquals("klTarget must be finite and > 0, got 0.0; TRL uses 6", e.getMessage());
  }

  @Test
  void nonNegativeAcceptsZeroButNotNanOrInfinity() {
    assertDoesNotThrow(() -> ConfigChecks.nonNegative("beta", 0));
    for (double bad : new double[] {-0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThrows(IllegalArgumentException.class, () -> ConfigChecks.nonNegative("beta", bad));
    }
    var e =
        assertThrows(IllegalArgumentException.class, () -> ConfigChecks.nonNegative("beta", -1));
    assertEquals("beta must be finite and >= 0, got -1.0", e.getMessage());
  }

  @Test
  void clipIsHalfOpenUnitInterval() {
    assertDoesNotThrow(() -> ConfigChecks.clip("epsilon", 0));
    assertDoesNotThrow(() -> ConfigChecks.clip("epsilon", 0.99));
    var e = assertThrows(IllegalArgumentException.class, () -> ConfigChecks.clip("epsilon", 1));
    assertEquals("epsilon must be in [0, 1), got 1.0", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ConfigChecks.clip("epsilon", Double.NaN));
  }
}
