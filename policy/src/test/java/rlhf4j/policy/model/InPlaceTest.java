package rlhf4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Without a graph the MLP's element-wise chains write into their own fresh arrays ({@link
 * InPlace}); the values must be the graph path's bit for bit, and the inputs untouched.
 */
class InPlaceTest {
  /** The result with grad mode on (out-of-place) and off (in place), as floats. */
  private static float[][] bothWays(Function<Boolean, NDArray> run) {
    boolean before = JniUtils.isGradMode();
    try {
      JniUtils.setGradMode(true);
      float[] graph = run.apply(true).toFloatArray();
      JniUtils.setGradMode(false);
      float[] inPlace = run.apply(false).toFloatArray();
      return new float[][] {graph, inPlace};
    } finally {
      JniUtils.setGradMode(before);
    }
  }

  @ParameterizedTest
  @EnumSource(Activation.class)
  void everyActivationGivesTheSameBitsWithAndWithoutAGraph(Activation activation) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.randomNormal(0, 3, new Shape(2, 3, 257), DataType.FLOAT32);
      float[] input = x.toFloatArray();
      float[][] r =
          bothWays(
              grad -> {
                assertTrue(InPlace.allowed() != grad);
                return activation.apply(x);
              });
      assertArrayEquals(r[0], r[1], activation.name());
      assertArrayEquals(input, x.toFloatArray(), "the input must not change");
    }
  }

  @Test
  void theGeluChainIsTheGraphPathsBitForBitOnLargeValuesToo() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.randomNormal(0, 40, new Shape(4096), DataType.FLOAT32);
      boolean before = JniUtils.isGradMode();
      try {
        JniUtils.setGradMode(true);
        float[] graph = Activation.geluTanh(x).toFloatArray();
        assertArrayEquals(graph, Activation.geluTanhInPlace(x).toFloatArray());
      } finally {
        JniUtils.setGradMode(before);
      }
    }
  }

  @Test
  void gatedAndPlainMlpsGiveTheSameBitsWithAndWithoutAGraph() {
    try (NDManager m = NDManager.newBaseManager()) {
      long d = 16;
      long i = 40;
      Function<Shape, NDArray> w = s -> m.randomNormal(0, 0.3f, s, DataType.FLOAT32);
      Linear gate = new Linear("gate_proj", w.apply(new Shape(i, d)), null, false);
      Linear up = new Linear("up_proj", w.apply(new Shape(i, d)), null, false);
      Linear down = new Linear("down_proj", w.apply(new Shape(d, i)), null, false);
      Linear gateUp = new Linear("gate_up_proj", w.apply(new Shape(2 * i, d)), null, false);
      Linear fc = new Linear("c_fc", w.apply(new Shape(i, d)), w.apply(new Shape(i)), true);
      NDArray x = m.randomNormal(0, 1, new Shape(2, 5, d), DataType.FLOAT32);
      Mlp[] mlps = {
        new Mlp(gate, up, down, Activation.SILU),
        Mlp.fusedGateUp(gateUp, down, Activation.SILU),
        new Mlp(null, fc, down, Activation.GELU_NEW)
      };
      for (Mlp mlp : mlps) {
        float[][] r = bothWays(grad -> mlp.forward(x, false));
        assertArrayEquals(r[0], r[1]);
      }
    }
  }
}
