package rlhf4j.cli.quickstart;

/**
 * Runs the garbage collector at points where no autograd graph is alive, so that a collection
 * seldom falls between a forward pass and its backward pass.
 *
 * <p>Why: in DJL 0.35.1 {@code NDArray.mul(Number)}, {@code div(Number)} and {@code pow(Number)}
 * wrap the scalar in a tensor over a Java direct buffer and close it right after the op, while
 * autograd keeps that tensor for the backward pass. Once the closed wrapper is collected, the
 * buffer is freed and the backward pass reads freed memory: gradients of -7e31 or NaN, at random
 * steps. Scalars made with {@code NDManager.full} (native memory) are safe. Remove this class once
 * the policy, reward and ppo modules no longer use Number overloads on graph tensors.
 */
final class GcBarrier {
  private final int every;
  private long calls;

  /** A barrier that collects on every {@code every}-th call of {@link #pass()}. */
  GcBarrier(int every) {
    if (every < 1) {
      throw new IllegalArgumentException("every must be >= 1, got " + every);
    }
    this.every = every;
  }

  /** Called between steps; collects on every {@code every}-th call. */
  void pass() {
    if (++calls % every == 0) {
      System.gc();
    }
  }
}
