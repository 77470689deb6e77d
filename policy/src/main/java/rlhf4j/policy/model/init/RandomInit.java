package rlhf4j.policy.model.init;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Seeded normal draws made in Java, so the same seed gives the same weights on every machine and
 * engine: one Box-Muller generator over {@link SplittableRandom} (which has no {@code nextGaussian}
 * on Java 17), values drawn in row-major order.
 */
public final class RandomInit {
  /** Rows are filled in chunks of about this many values, to bound heap use. */
  private static final long CHUNK = 1 << 20;

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
   * A float32 array of N(0, std²) values drawn in row-major order, filled in chunks of rows so the
   * Java heap never holds the whole array.
   */
  public static NDArray normal(NDManager manager, SplittableRandom rng, Shape shape, double std) {
    long rows = shape.dimension() == 1 ? 1 : shape.get(0);
    long cols = shape.size() / rows;
    long rowsPerChunk = Math.max(1, CHUNK / cols);
    if (rowsPerChunk >= rows) {
      return manager.create(gaussians(rng, Math.toIntExact(shape.size()), std), shape);
    }
    NDArray a = manager.zeros(shape);
    for (long r0 = 0; r0 < rows; r0 += rowsPerChunk) {
      long r1 = Math.min(rows, r0 + rowsPerChunk);
      float[] v = gaussians(rng, Math.toIntExact((r1 - r0) * cols), std);
      try (NDArray chunk = manager.create(v, new Shape(r1 - r0, cols))) {
        a.set(new NDIndex("{}:{}", r0, r1), chunk);
      }
    }
    return a;
  }
}
