package rlhf4j.reward;

/**
 * A reward could not produce valid scores: the user's code threw, returned NaN/Inf or the wrong
 * number of scores, or a remote scorer failed. The message names the reward and says how to fix it.
 */
public class RewardException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String rewardName;

  /** An error for the reward named {@code rewardName}. */
  public RewardException(String rewardName, String message) {
    super(message);
    this.rewardName = rewardName;
  }

  /** An error for the reward named {@code rewardName}, caused by {@code cause}. */
  public RewardException(String rewardName, String message, Throwable cause) {
    super(message, cause);
    this.rewardName = rewardName;
  }

  /** The {@link RewardFunction#name()} of the failing reward. */
  public String rewardName() {
    return rewardName;
  }
}
