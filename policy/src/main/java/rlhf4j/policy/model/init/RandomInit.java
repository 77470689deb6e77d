package rlhf4j.policy.model.init;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Seeded normal draws made in Java, so the same seed gives the same weights on every machine and
 * engine: one Box-Muller generator over {@link SplittableRandom} (which has no {@code nextGaussian}
 * on Java 17), values drawn in row-major order.
 */
public final class RandomInit {
  private RandomInit() {}

  /** One N(0, 1) draw (Box-Muller, one cosine branch: two uniforms per value). */
  public static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** {@code n} N(0, std²) draws as floats. */
  public static float[] gaussians(SplittableRandom rng, int n, double std) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (gaussian(rng) * std);
    }
    return v;
  }

  /**
   * A float32 array of N(0, std²) values drawn in row-major order, written straight into the
   * array's own memory: no Java-side copy of the values at all. (An array made from a Java {@code
   * float[]} is backed by a direct buffer that lives until the garbage collector runs; a GPT-2
   * small preset left about 480 MB of them behind during its initialisation, which showed in the
   * peak RSS of every run.)
   */
  public static NDArray normal(NDManager manager, SplittableRandom rng, Shape shape, double std) {
    NDArray a = manager.create(shape, DataType.FLOAT32); // uninitialised, engine-owned
    FloatBuffer values = a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    if (values.capacity() != shape.size()) {
      a.close();
      throw new IllegalStateException(
          "the engine gave no direct view of a fresh " + shape + " array; cannot initialise it");
    }
    for (int i = 0; i < values.capacity(); i++) {
      values.put(i, (float) (gaussian(rng) * std));
    }
    return a;
  }
}
