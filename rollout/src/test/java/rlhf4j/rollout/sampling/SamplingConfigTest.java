package rlhf4j.rollout.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplingConfigTest {

  private static void assertRejected(SamplingConfig.Builder b, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks " + f);
    }
  }

  @Test
  void defaultsArePlainSamplingAtTemperatureOne() {
    SamplingConfig c = SamplingConfig.builder().build();
    assertEquals(new SamplingConfig(false, 1.0, 0, 1.0, 0.0, 1.0, 0L), c);
    assertFalse(c.biasesKl());
    assertEquals(1.0, c.logProbTemperature());
  }

  @Test
  void temperatureZeroMeansGreedy() {
    SamplingConfig c = SamplingConfig.builder().temperature(0).build();
    assertTrue(c.greedy());
    assertEquals(1.0, c.logProbTemperature());
    assertEquals(
        0.7, SamplingConfig.builder().greedy(true).temperature(0.7).build().logProbTemperature());
  }

  @Test
  void invalidValuesAreRejectedWithFieldAndValue() {
    assertRejected(SamplingConfig.builder().temperature(-1), "temperature", "-1.0");
    assertRejected(SamplingConfig.builder().temperature(Double.NaN), "temperature", "NaN");
    assertRejected(SamplingConfig.builder().temperature(Double.POSITIVE_INFINITY), "temperature");
    assertRejected(SamplingConfig.builder().topK(-3), "topK", "-3");
    assertRejected(SamplingConfig.builder().topP(1.5), "topP", "1.5");
    assertRejected(SamplingConfig.builder().topP(Double.NaN), "topP", "NaN");
    assertRejected(SamplingConfig.builder().minP(-0.1), "minP", "-0.1");
    assertRejected(SamplingConfig.builder().minP(2), "minP", "2.0");
    assertRejected(SamplingConfig.builder().repetitionPenalty(0), "repetitionPenalty", "0.0");
  }

  @Test
  void biasesKlOnlyForSettingsThatChangeTheSamplingDistribution() {
    assertFalse(SamplingConfig.builder().temperature(0.7).seed(9).build().biasesKl());
    assertTrue(SamplingConfig.builder().topK(50).build().biasesKl());
    assertTrue(SamplingConfig.builder().topP(0.95).build().biasesKl());
    assertTrue(SamplingConfig.builder().minP(0.05).build().biasesKl());
    assertTrue(SamplingConfig.builder().repetitionPenalty(1.1).build().biasesKl());
    assertTrue(SamplingConfig.builder().greedy(true).build().biasesKl());
  }

  @Test
  void toBuilderRoundTrips() {
    SamplingConfig c =
        SamplingConfig.builder()
            .temperature(0.8)
            .topK(7)
            .topP(0.9)
            .minP(0.02)
            .repetitionPenalty(1.3)
            .seed(42)
            .build();
    assertEquals(c, c.toBuilder().build());
  }
}
