package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * The part of a training step after the transformer blocks, for {@link CausalLM#backward}: maps the
 * final hidden state to a scalar loss (e.g. LM head, log-probs, value head, PPO loss).
 */
@FunctionalInterface
public interface LossHead {
  /**
   * Computes the loss with autograd on.
   *
   * @param hidden final hidden state after the final norm, part of the graph // (B, S, D)
   * @return the scalar loss first, then any arrays the caller wants back (statistics, values); they
   *     are returned detached, every other array made here is freed after the backward
   */
  NDList apply(NDArray hidden);
}
