package rlhf4j.policy.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns torch's (thread-local) grad mode off and restores it on close. New threads start with grad
 * mode on in DJL's PyTorch engine, so every inference path (rollouts, reference log-probs) runs
 * inside one of these to build no autograd graph.
 */
public final class NoGrad implements AutoCloseable {
  private final boolean previous;

  private NoGrad() {
    previous = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
  }

  /** Enters no-grad mode. */
  public static NoGrad enter() {
    return new NoGrad();
  }

  @Override
  public void close() {
    JniUtils.setGradMode(previous);
  }
}
