package rlhf4j.rollout.sampling;

import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;

/** Slow, obvious plain-Java re-statement of HF's sampling pipeline, for tests only. */
final class Oracle {
  private Oracle() {}

  /** log_softmax(x / t) in double. */
  static double[] logSoftmax(double[] x, double t) {
    double max = Double.NEGATIVE_INFINITY;
    for (double a : x) {
      max = Math.max(max, a / t);
    }
    double sum = 0;
    for (double a : x) {
      sum += Math.exp(a / t - max);
    }
    double lse = max + Math.log(sum);
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i] / t - lse;
    }
    return out;
  }

  static double[] softmax(double[] x) {
    double[] lp = logSoftmax(x, 1.0);
    double[] p = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      p[i] = Math.exp(lp[i]);
    }
    return p;
  }

  /** Logits after repetition penalty, temperature, top-k, top-p and min-p (removed = -inf). */
  static double[] processed(double[] logits, long[] previous, SamplingConfig c) {
    double[] x = logits.clone();
    if (c.repetitionPenalty() != 1 && previous != null) {
      Set<Long> seen = new HashSet<>();
      for (long id : previous) {
        if (seen.add(id)) {
          int t = (int) id;
          x[t] = x[t] < 0 ? x[t] * c.repetitionPenalty() : x[t] / c.repetitionPenalty();
        }
      }
    }
    for (int i = 0; i < x.length; i++) {
      x[i] /= c.temperature();
    }
    if (c.topK() > 0 && c.topK() < x.length) {
      x = topK(x, c.topK());
    }
    if (c.topP() < 1) {
      x = topP(x, c.topP());
    }
    if (c.minP() > 0) {
      double[] p = softmax(x);
      double pmax = Arrays.stream(p).max().orElseThrow();
      for (int i = 0; i < x.length; i++) {
        if (p[i] < c.minP() * pmax) {
          x[i] = Double.NEGATIVE_INFINITY;
        }
      }
    }
    return x;
  }

  static double[] topK(double[] x, int k) {
    double[] sorted = x.clone();
    Arrays.sort(sorted);
    double kth = sorted[x.length - k];
    double[] out = x.clone();
    for (int i = 0; i < x.length; i++) {
      if (out[i] < kth) {
        out[i] = Double.NEGATIVE_INFINITY;
      }
    }
    return out;
  }

  /** Full sort by (probability desc, index asc); keep a token while the mass before it is < p. */
  static double[] topP(double[] x, double topP) {
    double[] p = softmax(x);
    Integer[] order = new Integer[x.length];
    for (int i = 0; i < x.length; i++) {
      order[i] = i;
    }
    Arrays.sort(
        order, Comparator.comparingDouble((Integer i) -> -p[i]).thenComparingInt((Integer i) -> i));
    double[] out = x.clone();
    double before = 0;
    for (int r = 0; r < order.length; r++) {
      int i = order[r];
      boolean keep = r == 0 || before < topP;
      if (!keep) {
        out[i] = Double.NEGATIVE_INFINITY;
      }
      before += p[i];
    }
    return out;
  }

  static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
