package rlhf4j.ppo.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import rlhf4j.ppo.ManagerFixture;

class EntropyTest extends ManagerFixture {

  @Test
  void entropyIsLogVForUniformAndMatchesPlainFormula() {
    // uniform over 4 -> ln 4; probabilities {0.5, 0.25, 0.25} from logits ln p + 7 -> 1.5 ln 2
    NDArray logits =
        manager.create(
            new double[] {
              3, 3, 3, 3, Math.log(0.5) + 7, Math.log(0.25) + 7, Math.log(0.25) + 7, -1e4
            },
            new Shape(1, 2, 4)); // (B, T, V)
    assertArrayEquals(
        new double[] {Math.log(4), 1.5 * Math.log(2)},
        Entropy.fromLogits(logits).toDoubleArray(),
        1e-12);
  }

  @Test
  void theStatisticIsTheEntropyAtTheTemperatureWithoutAGraphOrLeftoverArrays() {
    // logits 2·ln p at temperature 2 are the distribution p: {0.5, 0.25, 0.25} -> 1.5 ln 2
    NDArray logits =
        manager.create(
            new float[] {
              2 * (float) Math.log(0.5), 2 * (float) Math.log(0.25), 2 * (float) Math.log(0.25)
            },
            new Shape(1, 1, 3)); // (B, T, V)
    logits.setRequiresGradient(true);
    NDArray entropy;
    try (NDScope caller = new NDScope()) {
      entropy = Entropy.statistic(logits, 2.0); // (B, T)
      assertEquals(1.5 * Math.log(2), entropy.getFloat(0, 0), 1e-6);
      assertFalse(entropy.hasGradient(), "a statistic, not part of the graph");
    }
    assertThrows(
        IllegalStateException.class, () -> entropy.getFloat(0, 0), "the caller's scope owns it");
  }

  @Test
  void logSumExpIsStableForLargeLogits() {
    NDArray x = manager.create(new double[][] {{1000, 1000}});
    assertArrayEquals(
        new double[] {1000 + Math.log(2)}, Entropy.logSumExp(x).toDoubleArray(), 1e-9);
  }
}
