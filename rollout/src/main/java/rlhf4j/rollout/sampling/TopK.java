package rlhf4j.rollout.sampling;

/**
 * Top-k filter (HF {@code TopKLogitsWarper}): removes every token whose logit is below the k-th
 * largest logit. Tokens tied with the k-th largest are all kept, as in HF. Runs in expected O(V)
 * (quickselect on a scratch copy).
 */
public final class TopK implements LogitsProcessor {
  private final int k;
  private double[] scratch = new double[0];

  /**
   * @param k number of tokens to keep, &gt;= 1
   */
  public TopK(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("topK must be >= 1 (0 = off), got " + k);
    }
    this.k = k;
  }

  /** Returns k. */
  public int k() {
    return k;
  }

  @Override
  public void process(double[] logits, long[] previousTokens) {
    int v = logits.length;
    if (k >= v) {
      return;
    }
    if (scratch.length < v) {
      scratch = new double[v];
    }
    System.arraycopy(logits, 0, scratch, 0, v);
    double threshold = select(scratch, v, v - k);
    for (int i = 0; i < v; i++) {
      if (logits[i] < threshold) {
        logits[i] = Double.NEGATIVE_INFINITY;
      }
    }
  }

  /**
   * Returns the value that would sit at {@code target} if {@code a[0, n)} were sorted ascending;
   * reorders {@code a}. Three-way partitions, so runs of equal values (e.g. -inf) are cheap.
   */
  static double select(double[] a, int n, int target) {
    int lo = 0;
    int hi = n - 1;
    while (lo < hi) {
      double pivot = medianOf3(a[lo], a[(lo + hi) >>> 1], a[hi]);
      int lt = lo;
      int i = lo;
      int gt = hi;
      while (i <= gt) {
        double x = a[i];
        if (x < pivot) {
          a[i++] = a[lt];
          a[lt++] = x;
        } else if (x > pivot) {
          a[i] = a[gt];
          a[gt--] = x;
        } else {
          i++;
        }
      }
      // [lo, lt) < pivot, [lt, gt] == pivot, (gt, hi] > pivot
      if (target < lt) {
        hi = lt - 1;
      } else if (target > gt) {
        lo = gt + 1;
      } else {
        return pivot;
      }
    }
    return a[lo];
  }

  static double medianOf3(double a, double b, double c) {
    if (a < b) {
      return b < c ? b : Math.max(a, c);
    }
    return a < c ? a : Math.max(b, c);
  }
}
