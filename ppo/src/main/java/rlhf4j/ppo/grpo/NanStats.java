package rlhf4j.ppo.grpo;

/**
 * NaN-aware statistics as in torch {@code nanmean}/{@code nansum} and TRL {@code nanstd} ({@code
 * trl/trainer/utils.py}): NaN marks a missing value and is skipped.
 */
public final class NanStats {

  private NanStats() {}

  /** Mean of the non-NaN values; NaN when there are none (torch {@code nanmean}). */
  public static double nanmean(double[] values, int from, int to) {
    double sum = 0;
    int count = 0;
    for (int i = from; i < to; i++) {
      if (!Double.isNaN(values[i])) {
        sum += values[i];
        count++;
      }
    }
    return count == 0 ? Double.NaN : sum / count;
  }

  /** {@link #nanmean(double[], int, int)} over the whole array. */
  public static double nanmean(double[] values) {
    return nanmean(values, 0, values.length);
  }

  /**
   * Bessel-corrected std of the non-NaN values in {@code [from, to)}: {@code sqrt(nanmean((x -
   * mean)^2) * n/(n-1))}; NaN when fewer than 2 values are present, as TRL's {@code nanstd}.
   */
  public static double nanstd(double[] values, int from, int to) {
    double mean = nanmean(values, from, to);
    double squares = 0;
    int count = 0;
    for (int i = from; i < to; i++) {
      if (!Double.isNaN(values[i])) {
        double d = values[i] - mean;
        squares += d * d;
        count++;
      }
    }
    if (count <= 1) {
      return Double.NaN;
    }
    return Math.sqrt(squares / count * count / (count - 1));
  }

  /** {@link #nanstd(double[], int, int)} over the whole array. */
  public static double nanstd(double[] values) {
    return nanstd(values, 0, values.length);
  }

  /**
   * torch {@code isclose(x, 0)} with its default tolerances ({@code |x| <= 1e-8}); false for NaN.
   */
  public static boolean isZero(double x) {
    return Math.abs(x) <= 1e-8;
  }

  /** Column {@code k} of a row-major (N, K) table. */
  static double[] column(double[][] table, int k) {
    double[] out = new double[table.length];
    for (int i = 0; i < table.length; i++) {
      out[i] = table[i][k];
    }
    return out;
  }
}
