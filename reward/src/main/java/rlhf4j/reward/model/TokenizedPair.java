package rlhf4j.reward.model;

import java.util.Arrays;

/**
 * A preference pair as token ids: full sequences (prompt followed by the completion) for the chosen
 * and the rejected side. Arrays are copied in and out.
 *
 * @param chosenIds prompt + chosen completion, non-empty // (T_c)
 * @param rejectedIds prompt + rejected completion, non-empty // (T_r)
 * @param margin how much higher chosen should score; 0 for none
 */
public record TokenizedPair(long[] chosenIds, long[] rejectedIds, float margin) {

  /** Validates and copies. */
  public TokenizedPair {
    if (chosenIds == null || chosenIds.length == 0) {
      throw new IllegalArgumentException("chosenIds must be non-empty");
    }
    if (rejectedIds == null || rejectedIds.length == 0) {
      throw new IllegalArgumentException("rejectedIds must be non-empty");
    }
    if (!Float.isFinite(margin)) {
      throw new IllegalArgumentException("margin must be finite, got " + margin);
    }
    chosenIds = chosenIds.clone();
    rejectedIds = rejectedIds.clone();
  }

  /** A pair without margin. */
  public static TokenizedPair of(long[] chosenIds, long[] rejectedIds) {
    return new TokenizedPair(chosenIds, rejectedIds, 0f);
  }

  /** A copy of the chosen ids. */
  @Override
  public long[] chosenIds() {
    return chosenIds.clone();
  }

  /** A copy of the rejected ids. */
  @Override
  public long[] rejectedIds() {
    return rejectedIds.clone();
  }

  /** The longer of the two sequence lengths. */
  public int maxLength() {
    return Math.max(chosenIds.length, rejectedIds.length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenizedPair p
        && Arrays.equals(chosenIds, p.chosenIds)
        && Arrays.equals(rejectedIds, p.rejectedIds)
        && Float.compare(margin, p.margin) == 0;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(chosenIds) + Arrays.hashCode(rejectedIds))
        + Float.hashCode(margin);
  }

  @Override
  public String toString() {
    return "TokenizedPair[chosenIds="
        + Arrays.toString(chosenIds)
        + ", rejectedIds="
        + Arrays.toString(rejectedIds)
        + ", margin="
        + margin
        + "]";
  }
}
