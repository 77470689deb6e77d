package rlhf4j.policy.train;

/**
 * Training met a NaN or infinite loss, gradient or reward. Every trainer raises it before the
 * optimizer step, so the weights in memory are those of the last good step and the last checkpoint
 * on disk is untouched.
 */
public class DivergenceException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public DivergenceException(String message) {
    super(message);
  }

  /**
   * Throws unless {@code value} is finite.
   *
   * @param what what the value is, for the message ("SFT loss at step 12")
   * @param hint how to fix it ("lower learning_rate or enable max_grad_norm")
   */
  public static void checkFinite(String what, double value, String hint) {
    if (!Double.isFinite(value)) {
      throw new DivergenceException(what + " is " + value + "; " + hint);
    }
  }
}
