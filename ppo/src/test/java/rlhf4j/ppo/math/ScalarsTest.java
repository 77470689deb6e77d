package rlhf4j.ppo.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScalarsTest {

  /** Frees unreachable direct buffers and reuses their memory with a bogus value. */
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
  void gradientThroughAConstantSurvivesAGarbageCollectionBeforeBackward() throws Exception {
    for (int trial = 0; trial < 5; trial++) {
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray x = m.create(new float[] {1, 2, 3});
        x.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray y = Scalars.div(Scalars.mul(x.mul(x), 0.5), 4).sum(); // x^2 / 8
          collectAndScribble();
          gc.backward(y);
        }
        assertArrayEquals(new float[] {0.25f, 0.5f, 0.75f}, x.getGradient().toFloatArray());
      }
    }
  }

  @Test
  void constantsTakeTheArraysDtype() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray d = m.create(new double[] {1.0});
      NDArray s = Scalars.of(d, 0.1);
      org.junit.jupiter.api.Assertions.assertEquals(DataType.FLOAT64, s.getDataType());
      org.junit.jupiter.api.Assertions.assertEquals(0.1, s.getDouble());
      org.junit.jupiter.api.Assertions.assertEquals(
          (float) 0.1, Scalars.of(m.create(new float[] {1}), 0.1).getFloat());
    }
  }
}
