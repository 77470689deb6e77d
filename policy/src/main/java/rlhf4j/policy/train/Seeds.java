package rlhf4j.policy.train;

import java.util.SplittableRandom;

/**
 * The one seed scheme of every trainer: a run seed, a counter (the step or epoch) and a stream tag
 * (what the numbers are for) mix into an independent 64-bit seed, so a run is reproducible from any
 * step (exact resume) and no two uses share a random stream.
 */
public final class Seeds {
  /** Stream tag of the rollout sampler (counter: the step). */
  public static final long SAMPLING = 1;

  /** Stream tag of the prompt order (counter: the pass over the prompts). */
  public static final long PROMPT_ORDER = 2;

  /** Stream tag of the torch seed for dropout (counter: the step). */
  public static final long DROPOUT = 3;

  /** Stream tag of the mini-batch order (counter: {@code step * 1000 + epoch} in PPO). */
  public static final long MINI_BATCH_ORDER = 4;

  /** Stream tag of a supervised trainer's data order (counter: the epoch). */
  public static final long DATA_ORDER = 5;

  private Seeds() {}

  /** A 64-bit seed from the run seed, a counter and a stream tag (SplitMix64 finaliser). */
  public static long mix(long seed, long counter, long stream) {
    long z =
        seed * 0x9E3779B97F4A7C15L + counter * 0xBF58476D1CE4E5B9L + stream * 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A generator for {@code (seed, counter, stream)}. */
  public static SplittableRandom rng(long seed, long counter, long stream) {
    return new SplittableRandom(mix(seed, counter, stream));
  }

  /** A uniformly random permutation of {@code 0..n-1} (Fisher-Yates). */
  public static int[] permutation(int n, SplittableRandom rng) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
