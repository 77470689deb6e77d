package rlhf4j.ppo;

/**
 * Training produced a NaN or infinite loss or reward. The in-memory policy may be partly updated;
 * the last checkpoint on disk is untouched.
 */
public class TrainingDivergedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public TrainingDivergedException(String message) {
    super(message);
  }
}
