package rlhf4j.policy.optim;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * A first-order optimizer that updates trainable arrays in place and whose state can be exported
 * and imported for checkpoints.
 *
 * <p>{@link #step} reads each parameter's gradient, skips parameters whose gradient was never
 * computed, updates the rest with the rate {@code schedule.lr(stepCount())} and then zeroes the
 * gradients. It must run outside any {@code GradientCollector}; it switches torch's grad mode off
 * while it runs. State arrays are created lazily on the first step that sees a parameter, in that
 * parameter's manager, and are not registered with any {@code NDScope}.
 *
 * <p>As in {@code torch.optim}, a parameter whose gradient exists but is zero is still updated
 * (weight decay, moment decay, its own step count). DJL cannot reset a gradient to "none", so after
 * the first step every parameter that took part once counts as having a gradient; this matches
 * torch with {@code zero_grad(set_to_none=False)}. Not thread-safe.
 */
public interface Optimizer extends AutoCloseable {

  /**
   * Applies one update to every parameter that has a gradient, then zeroes the gradients.
   *
   * @param params trainable arrays by name; the same names must be used on every step
   */
  void step(Map<String, NDArray> params);

  /** Zeroes the gradient of every parameter in {@code params} that has one. */
  void zeroGrad(Map<String, NDArray> params);

  /** Number of completed {@link #step} calls (restored by {@link #importState}). */
  long stepCount();

  /** The learning rate the next {@link #step} will use. */
  double learningRate();

  /**
   * The optimizer's state: its live state arrays (do not close or modify them; write them before
   * the next step) plus the step counters.
   */
  OptimizerState exportState();

  /**
   * Replaces this optimizer's state by a copy of {@code state}. The tensors are copied, so the
   * caller may close them afterwards. They are checked against the parameters on the next {@link
   * #step}, which throws {@link IllegalArgumentException} if a name, shape or dtype does not match.
   */
  void importState(OptimizerState state);

  /** Bytes held by state arrays (moments, quantisation scales), for the memory report. */
  long stateBytes();

  /** Frees all state arrays; the optimizer cannot be used afterwards. */
  @Override
  void close();
}
