package rlhf4j.reward.norm;

/**
 * Running mean and variance of every score seen, TRL's {@code RunningMoments} (from MOSS-RLHF):
 * batches merge with the parallel (Chan et al.) update, the count starts at {@code 1e-24}, the
 * stored variance is the population variance and {@link #std()} is the Bessel-corrected {@code
 * sqrt(var * n / (n - 1))}.
 *
 * <p>Initial state: mean 0, var 1, count 1e-24, std 1. As in TRL, a first batch of one score gives
 * {@code n = 1} and std = +Infinity (scaled scores become 0). Thread-safe.
 */
public final class RunningMoments {
  /** TRL's initial count, which keeps the first update from dividing by zero. */
  public static final double INITIAL_COUNT = 1e-24;

  private double mean;
  private double var;
  private double count;

  /** Fresh moments: mean 0, var 1, count {@link #INITIAL_COUNT}. */
  public RunningMoments() {
    this(new State(0.0, 1.0, INITIAL_COUNT));
  }

  /** Moments restored from a checkpointed {@link State}. */
  public RunningMoments(State state) {
    this.mean = state.mean();
    this.var = state.var();
    this.count = state.count();
  }

  /**
   * Merges a batch of scores.
   *
   * @param xs the batch, {@code (B)}, non-empty and finite
   * @throws IllegalArgumentException on an empty batch or a non-finite value (naming its index)
   */
  public void update(float[] xs) {
    double[] d = new double[xs.length];
    for (int i = 0; i < xs.length; i++) {
      d[i] = xs[i];
    }
    update(d);
  }

  /** Merges a batch of scores; see {@link #update(float[])}. */
  public synchronized void update(double[] xs) {
    if (xs.length == 0) {
      throw new IllegalArgumentException("cannot update RunningMoments with an empty batch");
    }
    double sum = 0;
    for (int i = 0; i < xs.length; i++) {
      if (!Double.isFinite(xs[i])) {
        throw new IllegalArgumentException(
            "score at index " + i + " is " + xs[i] + "; RunningMoments needs finite scores");
      }
      sum += xs[i];
    }
    double xsCount = xs.length;
    double xsMean = sum / xsCount;
    double sq = 0;
    for (double x : xs) {
      sq += (x - xsMean) * (x - xsMean);
    }
    double xsVar = sq / xsCount; // population variance (torch.var_mean unbiased=False)

    double delta = xsMean - mean;
    double totCount = count + xsCount;
    double newSum = xsVar * xsCount;
    double oldSum = var * count + delta * delta * count * xsCount / totCount;
    mean += delta * xsCount / totCount;
    var = (oldSum + newSum) / totCount;
    count = totCount;
  }

  /** Running mean. */
  public synchronized double mean() {
    return mean;
  }

  /** Running population variance (TRL's {@code var}). */
  public synchronized double var() {
    return var;
  }

  /** Number of scores merged, plus {@link #INITIAL_COUNT}. */
  public synchronized double count() {
    return count;
  }

  /**
   * Bessel-corrected running standard deviation {@code sqrt(var * n / (n - 1))}; 1 before the first
   * update (TRL's initial {@code std}).
   */
  public synchronized double std() {
    if (count < 1.0) {
      return 1.0;
    }
    return Math.sqrt(var * count / (count - 1.0));
  }

  /** The state to checkpoint. */
  public synchronized State state() {
    return new State(mean, var, count);
  }

  /**
   * Exportable state. {@code std} is derived from it.
   *
   * @param mean running mean, finite
   * @param var running population variance, finite and &ge; 0
   * @param count scores merged plus 1e-24, finite and &gt; 0
   */
  public record State(double mean, double var, double count) {
    /** Validates. */
    public State {
      if (!Double.isFinite(mean)) {
        throw new IllegalArgumentException("mean must be finite, got " + mean);
      }
      if (!Double.isFinite(var) || var < 0) {
        throw new IllegalArgumentException("var must be finite and >= 0, got " + var);
      }
      if (!Double.isFinite(count) || count <= 0) {
        throw new IllegalArgumentException("count must be finite and > 0, got " + count);
      }
    }
  }
}
