package rlhf4j.reward;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Scores a batch of (prompt, response) pairs: one float per response, in batch order. This is the
 * sequence-level score that PPO adds at the last response token (TRL's {@code scores}).
 *
 * <p>A lambda fits: {@code RewardFunction r = batch -> new float[batch.size()];}. Wrap untrusted
 * implementations in {@link GuardedReward} to get clear errors for NaN, wrong lengths and
 * exceptions.
 */
@FunctionalInterface
public interface RewardFunction {

  /**
   * Scores every sample of {@code batch}.
   *
   * @param batch the samples, never null; may be empty
   * @return exactly {@code batch.size()} finite scores, in batch order
   */
  float[] score(List<Sample> batch);

  /**
   * A short human-readable name used in logs and error messages. Defaults to the simple class name,
   * or {@code "lambda"} for lambdas and anonymous classes; see {@link #named}.
   */
  default String name() {
    Class<?> c = getClass();
    if (c.isHidden() || c.isSynthetic() || c.isAnonymousClass() || c.getSimpleName().isEmpty()) {
      return "lambda";
    }
    return c.getSimpleName();
  }

  /** Gives {@code reward} the name {@code name} (for lambdas, whose default name is "lambda"). */
  static RewardFunction named(String name, RewardFunction reward) {
    Objects.requireNonNull(reward, "reward");
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("name must be non-blank, got '" + name + "'");
    }
    return new RewardFunction() {
      @Override
      public float[] score(List<Sample> batch) {
        return reward.score(batch);
      }

      @Override
      public String name() {
        return name;
      }
    };
  }

  /**
   * One (prompt, response) pair. Texts are decoded strings; ids are the token ids, or empty arrays
   * when unknown (e.g. a remote caller that only has text). Arrays are copied in and out.
   *
   * @param prompt the prompt text, never null
   * @param response the response text, never null
   * @param promptIds prompt token ids, {@code (P)}, possibly empty
   * @param responseIds response token ids, {@code (T)}, possibly empty
   */
  record Sample(String prompt, String response, long[] promptIds, long[] responseIds) {
    private static final long[] NO_IDS = new long[0];

    /** Validates and copies. */
    public Sample {
      Objects.requireNonNull(prompt, "prompt (use \"\" for none)");
      Objects.requireNonNull(response, "response (use \"\" for none)");
      promptIds = promptIds == null ? NO_IDS : promptIds.clone();
      responseIds = responseIds == null ? NO_IDS : responseIds.clone();
    }

    /** A sample with texts only (empty id arrays). */
    public static Sample of(String prompt, String response) {
      return new Sample(prompt, response, NO_IDS, NO_IDS);
    }

    /** A copy of the prompt ids. */
    @Override
    public long[] promptIds() {
      return promptIds.clone();
    }

    /** A copy of the response ids. */
    @Override
    public long[] responseIds() {
      return responseIds.clone();
    }

    /** Number of response tokens (0 when the ids are unknown), without copying. */
    public int responseLength() {
      return responseIds.length;
    }

    /** Whether the response ids contain {@code id}, without copying. */
    public boolean responseContainsId(long id) {
      for (long x : responseIds) {
        if (x == id) {
          return true;
        }
      }
      return false;
    }

    /** Whether the last response id is {@code id}, without copying. */
    public boolean responseEndsWithId(long id) {
      return responseIds.length > 0 && responseIds[responseIds.length - 1] == id;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Sample s
          && prompt.equals(s.prompt)
          && response.equals(s.response)
          && Arrays.equals(promptIds, s.promptIds)
          && Arrays.equals(responseIds, s.responseIds);
    }

    @Override
    public int hashCode() {
      return Objects.hash(
          prompt, response, Arrays.hashCode(promptIds), Arrays.hashCode(responseIds));
    }

    @Override
    public String toString() {
      return "Sample[prompt="
          + prompt
          + ", response="
          + response
          + ", promptIds="
          + Arrays.toString(promptIds)
          + ", responseIds="
          + Arrays.toString(responseIds)
          + "]";
    }
  }
}
