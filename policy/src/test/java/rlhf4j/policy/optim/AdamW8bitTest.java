package rlhf4j.policy.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class AdamW8bitTest {

  private static final int N = 5000; // 3 blocks of 2048, the last one partial
  private static final int STEPS = 300;
  private static final int EVERY = 50;

  /** Loss every {@link #EVERY} steps and the final parameters. */
  private record Run(double[] losses, float[] x) {}

  /** 0.5·Σ a_i (x_i − t_i)² with curvatures a_i spread over two decades. */
  private static Run minimise(Function<LrSchedule, Optimizer> factory) {
    Random random = new Random(11);
    float[] curvature = new float[N];
    float[] target = new float[N];
    for (int i = 0; i < N; i++) {
      curvature[i] = (float) Math.pow(10, 2 * random.nextDouble() - 1);
      target[i] = (float) random.nextGaussian();
    }
    double[] curve = new double[STEPS / EVERY + 1];
    LrSchedule schedule = LrSchedule.linear(0.05, Warmup.ofSteps(10), STEPS);
    try (NDManager manager = NDManager.newBaseManager();
        Optimizer opt = factory.apply(schedule)) {
      NDArray x = OptimFixtures.trainable(manager, new float[N], N);
      NDArray a = manager.create(curvature);
      NDArray t = manager.create(target);
      Map<String, NDArray> params = OptimFixtures.params("x", x);
      for (int step = 0; step <= STEPS; step++) {
        if (step % EVERY == 0) {
          curve[step / EVERY] = loss(x.toFloatArray(), curvature, target);
        }
        if (step == STEPS) {
          break;
        }
        OptimFixtures.backward(params, ps -> t.sub(ps.get("x")).square().mul(a).sum().mul(0.5));
        opt.step(params);
      }
      return new Run(curve, x.toFloatArray());
    }
  }

  private static double loss(float[] x, float[] a, float[] t) {
    double sum = 0;
    for (int i = 0; i < x.length; i++) {
      sum += 0.5 * a[i] * (x[i] - t[i]) * (x[i] - t[i]);
    }
    return sum;
  }

  @Test
  void tracksFp32AdamWOnAQuadratic() {
    Run fp32Run = minimise(s -> new AdamW(AdamWConfig.defaults(), s));
    Run int8Run = minimise(s -> new AdamW8bit(AdamW8bitConfig.defaults(), s));
    double[] fp32 = fp32Run.losses();
    double[] int8 = int8Run.losses();
    double initial = fp32[0];
    double gapSq = 0;
    double moveSq = 0;
    for (int i = 0; i < N; i++) {
      gapSq += Math.pow(int8Run.x()[i] - fp32Run.x()[i], 2);
      moveSq += Math.pow(fp32Run.x()[i], 2); // x starts at 0
    }
    double relativeGap = Math.sqrt(gapSq / moveSq);
    assertTrue(relativeGap < 0.02, "final parameters differ from fp32 AdamW by " + relativeGap);
    for (int i = 1; i < fp32.length; i++) {
      double ratio = int8[i] / fp32[i];
      assertTrue(
          ratio > 0.67 && ratio < 1.5,
          "step " + i * EVERY + ": 8-bit loss " + int8[i] + " vs fp32 " + fp32[i]);
    }
    assertTrue(fp32[fp32.length - 1] < 1e-4 * initial, "fp32 AdamW did not converge");
    assertTrue(int8[int8.length - 1] < 1e-4 * initial, "8-bit AdamW did not converge");
  }

  @Test
  void stateIsUnderThirtyPercentOfAdamW() {
    try (NDManager manager = NDManager.newBaseManager();
        AdamW fp32 = new AdamW(AdamWConfig.defaults(), LrSchedule.constant(1e-3));
        AdamW8bit int8 = new AdamW8bit(AdamW8bitConfig.defaults(), LrSchedule.constant(1e-3))) {
      NDArray w = OptimFixtures.trainable(manager, new float[64 * 80], 64, 80);
      NDArray b = OptimFixtures.trainable(manager, new float[N], N);
      Map<String, NDArray> params = OptimFixtures.params("w", w, "b", b);
      for (Optimizer opt : new Optimizer[] {fp32, int8}) {
        OptimFixtures.backward(params, ps -> ps.get("w").sum().add(ps.get("b").sum()));
        opt.step(params);
      }
      long elements = 64 * 80 + N;
      assertEquals(2 * 4 * elements, fp32.stateBytes());
      // 1 byte each for m and sqrt(v), plus two fp32 scales per block (3 + 3 blocks)
      assertEquals(2 * elements + 2 * 4 * (3 + 3), int8.stateBytes());
      assertTrue(int8.stateBytes() < 0.3 * fp32.stateBytes());
      OptimizerState state = int8.exportState();
      assertEquals(DataType.INT8, state.tensors().get("adamw8bit.m.w").getDataType());
      assertEquals(DataType.UINT8, state.tensors().get("adamw8bit.v.w").getDataType());
      assertEquals(3, state.tensors().get("adamw8bit.m_absmax.b").size());
    }
  }
}
