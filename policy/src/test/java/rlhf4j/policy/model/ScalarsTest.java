package rlhf4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.policy.family.Presets;

/** Constants on the autograd path survive a garbage collection between forward and backward. */
class ScalarsTest {
  /** Frees unreachable direct buffers, then reuses native memory with a bogus value. */
  static void collectAndScribble() throws InterruptedException {
    for (int round = 0; round < 2; round++) {
      System.gc();
      Thread.sleep(20); // the cleaner thread frees the buffers
      List<ByteBuffer> keep = new ArrayList<>();
      for (int j = 0; j < 200; j++) {
        ByteBuffer b = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
        for (int i = 0; i < 64; i += 4) {
          b.putFloat(i, 1000f);
        }
        keep.add(b);
      }
    }
  }

  @Test
  void gradientThroughConstantsSurvivesAGarbageCollectionBeforeBackward() throws Exception {
    for (int trial = 0; trial < 3; trial++) {
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray x = m.create(new float[] {1, 2, 3});
        x.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          // x²/8 + x^0.5 written with all three operations
          NDArray y = Scalars.div(Scalars.mul(x.mul(x), 0.5), 4).add(Scalars.pow(x, 0.5)).sum();
          collectAndScribble();
          gc.backward(y);
        }
        float[] g = x.getGradient().toFloatArray();
        for (int i = 0; i < 3; i++) {
          double xi = i + 1;
          assertEquals(xi / 4 + 0.5 / Math.sqrt(xi), g[i], 1e-6);
        }
      }
    }
  }

  @Test
  void constantsTakeTheArraysDtype() {
    try (NDManager m = NDManager.newBaseManager()) {
      assertEquals(DataType.FLOAT64, Scalars.of(m.create(new double[] {1}), 0.1).getDataType());
      assertEquals(0.1, Scalars.of(m.create(new double[] {1}), 0.1).getDouble());
      assertEquals((float) 0.1, Scalars.of(m.create(new float[] {1}), 0.1).getFloat());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"nano", "tiny-llama", "tiny-neox"})
  void modelGradientsAreTheSameWithAGarbageCollectionBeforeBackward(String preset)
      throws Exception {
    try (CausalLM model = Presets.create(preset, 4);
        NDManager m = NDManager.newBaseManager()) {
      model.setBaseTrainable(true);
      NDArray ids = m.create(new long[] {3, 9, 27, 81, 243, 5, 7, 11}, new Shape(2, 4));
      float[] clean = gradientOfFirstBlock(model, ids, false);
      float[] scribbled = gradientOfFirstBlock(model, ids, true);
      assertArrayEquals(clean, scribbled, preset);
    }
  }

  private static float[] gradientOfFirstBlock(CausalLM model, NDArray ids, boolean scribble)
      throws Exception {
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray loss = model.forward(ids, null).logits().square().mean();
      if (scribble) {
        collectAndScribble();
      }
      gc.backward(loss);
    }
    NDArray w = model.linears().get(0).weight();
    float[] g = w.getGradient().toFloatArray();
    w.getGradient().subi(w.getGradient()); // zero for the next call
    for (NDArray p : model.parameters().values()) {
      p.getGradient().muli(0);
    }
    return g;
  }
}
