package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import rlhf4j.ppo.math.KlPenalty;

class PpoConfigTest {

  @Test
  void defaultsAreTrlClassicDefaults() {
    PpoConfig c = PpoConfig.builder().build();
    assertEquals(1.41e-5, c.learningRate());
    assertEquals(0.2, c.initKlCoef());
    assertTrue(c.adaptiveKl());
    assertEquals(6, c.klTarget());
    assertEquals(10_000, c.klHorizon());
    assertEquals(KlPenalty.KL, c.klPenalty());
    assertEquals(1, c.gamma());
    assertEquals(0.95, c.lam());
    assertEquals(0.2, c.clipRange());
    assertEquals(0.2, c.valueClipRange());
    assertEquals(0.1, c.vfCoef());
    assertEquals(128, c.batchSize());
    assertEquals(128, c.miniBatchSize());
    assertEquals(1, c.gradientAccumulationSteps());
    assertEquals(4, c.ppoEpochs());
    assertEquals(OptionalDouble.empty(), c.maxGradNorm());
    assertFalse(c.earlyStopping());
    assertEquals(1.0, c.targetKl());
    assertEquals(10, c.ratioThreshold());
    assertFalse(c.whitenRewards());
    assertFalse(c.useScoreScaling());
    assertFalse(c.useScoreNorm());
    assertEquals(OptionalDouble.empty(), c.scoreClip());
    assertEquals(1.0, c.temperature());
    assertEquals(0, c.seed());
  }

  @Test
  void smallBatchLowersTheUnsetMiniBatchSize() {
    PpoConfig c = PpoConfig.builder().batchSize(8).build();
    assertEquals(8, c.batchSize());
    assertEquals(8, c.miniBatchSize());
    assertEquals(8, c.backwardBatchSize());
  }

  @Test
  void toBuilderKeepsEveryField() {
    PpoConfig c =
        PpoConfig.builder()
            .batchSize(16)
            .miniBatchSize(4)
            .gradientAccumulationSteps(2)
            .maxGradNorm(1.0)
            .scoreClip(3)
            .klPenalty(KlPenalty.FULL)
            .seed(9)
            .build();
    assertEquals(c, c.toBuilder().build());
    assertEquals(32, c.toBuilder().batchSize(32).build().batchSize());
    assertEquals(4, c.toBuilder().batchSize(32).build().miniBatchSize());
  }

  @Test
  void batchSizeNotAMultipleOfTheBackwardBatchIsRejected() {
    assertMessage(
        () ->
            PpoConfig.builder().batchSize(12).miniBatchSize(4).gradientAccumulationSteps(2).build(),
        "batchSize must be a multiple of miniBatchSize * gradientAccumulationSteps, got batchSize"
            + " 12 and 4 * 2 = 8");
    assertMessage(() -> PpoConfig.builder().batchSize(200).build(), "batchSize 200 and 128 * 1");
  }

  @Test
  void invalidFieldsAreNamedWithTheirValue() {
    assertMessage(() -> PpoConfig.builder().learningRate(0).build(), "learningRate", "got 0.0");
    assertMessage(() -> PpoConfig.builder().gamma(Double.NaN).build(), "gamma", "NaN");
    assertMessage(() -> PpoConfig.builder().lam(1.5).build(), "lam must be in [0, 1]", "1.5");
    assertMessage(() -> PpoConfig.builder().clipRange(1).build(), "clipRange", "(0, 1)");
    assertMessage(() -> PpoConfig.builder().valueClipRange(-0.1).build(), "valueClipRange");
    assertMessage(() -> PpoConfig.builder().vfCoef(-1).build(), "vfCoef", "-1.0");
    assertMessage(() -> PpoConfig.builder().initKlCoef(-0.2).build(), "initKlCoef");
    assertMessage(() -> PpoConfig.builder().klTarget(0).build(), "klTarget");
    assertMessage(() -> PpoConfig.builder().klHorizon(0).build(), "klHorizon");
    assertMessage(() -> PpoConfig.builder().ppoEpochs(0).build(), "ppoEpochs must be >= 1, got 0");
    assertMessage(() -> PpoConfig.builder().miniBatchSize(0).build(), "miniBatchSize");
    assertMessage(() -> PpoConfig.builder().maxGradNorm(0).build(), "maxGradNorm");
    assertMessage(() -> PpoConfig.builder().scoreClip(-2).build(), "scoreClip", "-2.0");
    assertMessage(() -> PpoConfig.builder().ratioThreshold(0).build(), "ratioThreshold");
    assertMessage(() -> PpoConfig.builder().temperature(0).build(), "temperature");
    assertMessage(() -> PpoConfig.builder().klPenalty(null).build(), "klPenalty");
    assertMessage(
        () -> PpoConfig.builder().useScoreNorm(true).build(),
        "useScoreNorm is true but useScoreScaling is false",
        "useScoreScaling(true)");
  }

  private static void assertMessage(Executable build, String... parts) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' lacks '" + part + "'");
    }
  }
}
