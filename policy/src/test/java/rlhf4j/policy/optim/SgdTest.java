package rlhf4j.policy.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SgdTest {

  private static final float[][] GRADS = {{1f, 2f}, {0.5f, -1f}, {-1f, 1f}};

  private static float[] run(SgdConfig config, int steps) {
    try (NDManager manager = NDManager.newBaseManager();
        Sgd opt = new Sgd(config, LrSchedule.constant(0.1))) {
      NDArray w = OptimFixtures.trainable(manager, new float[] {1f, -2f}, 2);
      Map<String, NDArray> params = OptimFixtures.params("w", w);
      for (int t = 0; t < steps; t++) {
        OptimFixtures.setGradients(params, Map.of("w", GRADS[t]));
        opt.step(params);
      }
      return w.toFloatArray();
    }
  }

  @Test
  void momentumStepsMatchHandComputedValues() {
    // b1 = g1 = [1, 2]                      p = [1, -2] - 0.1·b1 = [0.9, -2.2]
    // b2 = 0.9·b1 + g2 = [1.4, 0.8]         p = [0.76, -2.28]
    // b3 = 0.9·b2 + g3 = [0.26, 1.72]       p = [0.734, -2.452]
    float[] p = run(SgdConfig.builder().optMomentum(0.9).build(), 3);
    assertArrayEquals(new float[] {0.734f, -2.452f}, p, 1e-6f);
  }

  @Test
  void plainSgdWithoutMomentumKeepsNoState() {
    try (NDManager manager = NDManager.newBaseManager();
        Sgd opt = new Sgd(SgdConfig.builder().build(), LrSchedule.constant(0.1))) {
      NDArray w = OptimFixtures.trainable(manager, new float[] {1f, -2f}, 2);
      Map<String, NDArray> params = OptimFixtures.params("w", w);
      OptimFixtures.setGradients(params, Map.of("w", GRADS[0]));
      opt.step(params);
      assertArrayEquals(new float[] {0.9f, -2.2f}, w.toFloatArray(), 1e-7f);
      assertEquals(0, opt.stateBytes());
      assertTrue(opt.exportState().tensors().isEmpty());
    }
  }

  @Test
  void nesterovWithWeightDecayMatchesHandComputedValues() {
    // step 1: d = g1 + 0.1·p = [1.1, 1.8]; b = d; d' = d + 0.9·b = [2.09, 3.42]
    //         p = [1, -2] - 0.1·d' = [0.791, -2.342]
    // step 2: d = g2 + 0.1·p = [0.5791, -1.2342]; b = 0.9·[1.1, 1.8] + d = [1.5691, 0.3858]
    //         d' = d + 0.9·b = [1.99129, -0.88698]; p = [0.591871, -2.253302]
    SgdConfig config =
        SgdConfig.builder().optMomentum(0.9).optWeightDecay(0.1).optNesterov(true).build();
    assertArrayEquals(new float[] {0.591871f, -2.253302f}, run(config, 2), 1e-6f);
  }

  @Test
  void dampeningSkipsTheFirstStepAsInTorch() {
    // b1 = g1 = [1, 2] (no dampening); p = [0.9, -2.2]
    // b2 = 0.9·b1 + (1 - 0.5)·g2 = [1.15, 1.3]; p = [0.785, -2.33]
    SgdConfig config = SgdConfig.builder().optMomentum(0.9).optDampening(0.5).build();
    assertArrayEquals(new float[] {0.785f, -2.33f}, run(config, 2), 1e-6f);
  }

  @Test
  void nesterovNeedsMomentum() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SgdConfig.builder().optNesterov(true).build());
    assertTrue(e.getMessage().contains("nesterov"), e.getMessage());
  }
}
