package rlhf4j.ppo.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
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
  void logSumExpIsStableForLargeLogits() {
    NDArray x = manager.create(new double[][] {{1000, 1000}});
    assertArrayEquals(
        new double[] {1000 + Math.log(2)}, Entropy.logSumExp(x).toDoubleArray(), 1e-9);
  }
}
