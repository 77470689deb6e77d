package rlhf4j.reward;

import java.util.List;
import java.util.Objects;

/**
 * Wraps any {@link RewardFunction} and checks its output: exactly one finite score per sample. A
 * violation, or an exception thrown by the wrapped code, becomes a {@link RewardException} that
 * names the reward, the offending index and value, and how to fix it.
 */
public final class GuardedReward implements RewardFunction {
  private final RewardFunction delegate;

  private GuardedReward(RewardFunction delegate) {
    this.delegate = delegate;
  }

  /** Guards {@code reward}; returns it unchanged if it is already guarded. */
  public static GuardedReward of(RewardFunction reward) {
    Objects.requireNonNull(reward, "reward");
    return reward instanceof GuardedReward g ? g : new GuardedReward(reward);
  }

  /** The wrapped reward. */
  public RewardFunction delegate() {
    return delegate;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  /**
   * Scores the batch with the wrapped reward and checks the result.
   *
   * @throws IllegalArgumentException if {@code batch} is null or holds a null sample
   * @throws RewardException if the wrapped reward throws or returns invalid scores; a {@code
   *     RewardException} thrown by the wrapped reward passes through unchanged
   */
  @Override
  public float[] score(List<Sample> batch) {
    if (batch == null) {
      throw new IllegalArgumentException("batch must not be null; pass an empty list for none");
    }
    for (int i = 0; i < batch.size(); i++) {
      if (batch.get(i) == null) {
        throw new IllegalArgumentException("batch[" + i + "] is null; every sample must be set");
      }
    }
    float[] scores;
    try {
      scores = delegate.score(batch);
    } catch (RewardException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new RewardException(
          name(),
          "reward '"
              + name()
              + "' threw "
              + e.getClass().getName()
              + " on a batch of "
              + batch.size()
              + ": "
              + e.getMessage()
              + "; fix the reward's code (see the cause) or map failures to a fixed low score",
          e);
    }
    return check(name(), batch.size(), scores);
  }

  /**
   * Checks that {@code scores} holds exactly {@code expected} finite values.
   *
   * @param rewardName named in the error message
   * @param expected the batch size
   * @param scores the scores to check
   * @return {@code scores} itself
   * @throws RewardException naming the reward, the index and the value on the first violation
   */
  public static float[] check(String rewardName, int expected, float[] scores) {
    if (scores == null) {
      throw new RewardException(
          rewardName,
          "reward '"
              + rewardName
              + "' returned null for a batch of "
              + expected
              + "; return a float[] with one score per sample");
    }
    if (scores.length != expected) {
      throw new RewardException(
          rewardName,
          "reward '"
              + rewardName
              + "' returned "
              + scores.length
              + " scores for a batch of "
              + expected
              + "; return exactly one score per sample, in batch order");
    }
    for (int i = 0; i < scores.length; i++) {
      if (!Float.isFinite(scores[i])) {
        throw new RewardException(
            rewardName,
            "reward '"
                + rewardName
                + "' returned "
                + scores[i]
                + " at index "
                + i
                + " of a batch of "
                + expected
                + "; scores must be finite: guard divisions/logs in the reward, or map failures"
                + " to a fixed low score");
      }
    }
    return scores;
  }
}
