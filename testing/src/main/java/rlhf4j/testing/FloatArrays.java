package rlhf4j.testing;

/** Comparisons of float arrays for tests: the one copy of the max-abs-difference loop. */
public final class FloatArrays {
  private FloatArrays() {}

  /**
   * Largest |a[i] − b[i]| (the difference taken in float, as the tests always did); an {@link
   * AssertionError} naming both lengths when they differ.
   */
  public static double maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new AssertionError("size mismatch: expected " + a.length + " values, got " + b.length);
    }
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }
}
