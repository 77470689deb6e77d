package rlhf4j.rollout.sampling;

import java.util.Arrays;

/**
 * Top-p (nucleus) filter (HF {@code TopPLogitsWarper}, Holtzman et al. 2020): keeps the smallest
 * set of most likely tokens whose cumulative probability is at least {@code topP}, and always at
 * least one token. Equivalently, a token is kept when the probability mass of the tokens ranked
 * above it is below {@code topP}. Ties in probability are ranked by lower token index first.
 *
 * <p>Runs in expected O(V): instead of sorting, it partitions around pivots and only descends into
 * the part that holds the cut-off (a quickselect on probability mass). Probabilities are computed
 * in double precision from the current logits (after temperature and top-k).
 */
public final class TopP implements LogitsProcessor {
  private final double topP;
  private int[] idx = new int[0];
  private double[] weight = new double[0];

  /**
   * @param topP in [0, 1]; 1 keeps every token, 0 keeps only the most likely one
   */
  public TopP(double topP) {
    if (!(topP >= 0 && topP <= 1)) {
      throw new IllegalArgumentException("topP must be in [0, 1] (1 = off), got " + topP);
    }
    this.topP = topP;
  }

  /** Returns topP. */
  public double topP() {
    return topP;
  }

  @Override
  public void process(double[] logits, long[] previousTokens) {
    int v = logits.length;
    double max = Double.NEGATIVE_INFINITY;
    for (double x : logits) {
      if (x > max) {
        max = x;
      }
    }
    if (max == Double.NEGATIVE_INFINITY || topP == 1) {
      return;
    }
    if (idx.length < v) {
      idx = new int[v];
      weight = new double[v];
    }
    // unnormalised probabilities of the tokens still alive
    int n = 0;
    double total = 0;
    for (int i = 0; i < v; i++) {
      if (logits[i] != Double.NEGATIVE_INFINITY) {
        double w = Math.exp(logits[i] - max);
        weight[i] = w;
        total += w;
        idx[n++] = i;
      }
    }
    int cut = keptPrefix(n, topP * total);
    for (int j = cut; j < n; j++) {
      logits[idx[j]] = Double.NEGATIVE_INFINITY;
    }
  }

  /**
   * Reorders {@code idx[0, n)} so that the kept tokens form a prefix and returns its length. A
   * token is kept when the mass ranked strictly before it is {@code < target}.
   */
  private int keptPrefix(int n, double target) {
    if (!(target > 0)) {
      // topP = 0: keep only the most likely token, lowest index on ties
      int best = 0;
      for (int j = 1; j < n; j++) {
        if (weight[idx[j]] > weight[idx[best]]) {
          best = j;
        }
      }
      swap(best, 0);
      return 1;
    }
    int lo = 0;
    int hi = n;
    double kept = 0; // mass of idx[0, lo), all kept and ranked above idx[lo, hi)
    while (lo < hi) {
      double pivot =
          TopK.medianOf3(weight[idx[lo]], weight[idx[(lo + hi - 1) >>> 1]], weight[idx[hi - 1]]);
      // three-way partition, descending: [lo, gt) > pivot, [gt, lt) == pivot, [lt, hi) < pivot
      int gt = lo;
      int i = lo;
      int lt = hi;
      double massGreater = 0;
      while (i < lt) {
        double w = weight[idx[i]];
        if (w > pivot) {
          massGreater += w;
          swap(i++, gt++);
        } else if (w < pivot) {
          swap(i, --lt);
        } else {
          i++;
        }
      }
      double before = kept + massGreater;
      if (before >= target) {
        hi = gt; // the cut lies among the larger ones; [gt, n) is removed
        continue;
      }
      double massEqual = 0;
      for (int j = gt; j < lt; j++) {
        massEqual += weight[idx[j]];
      }
      if (before + massEqual >= target) {
        // the cut lies among the ties: rank them by token index and keep while mass before < target
        Arrays.sort(idx, gt, lt);
        int j = gt;
        while (j < lt && before < target) {
          before += weight[idx[j]];
          j++;
        }
        return j;
      }
      kept = before + massEqual;
      lo = lt;
    }
    return lo;
  }

  private void swap(int a, int b) {
    int t = idx[a];
    idx[a] = idx[b];
    idx[b] = t;
  }
}
