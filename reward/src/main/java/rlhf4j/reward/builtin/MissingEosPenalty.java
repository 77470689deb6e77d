package rlhf4j.reward.builtin;

import java.util.List;
import java.util.Objects;
import rlhf4j.reward.GuardedReward;
import rlhf4j.reward.RewardFunction;

/**
 * TRL's EOS trick ({@code missing_eos_penalty}): {@code score = inner - penalty} for responses that
 * do not contain (or, with {@link Match#ENDS_WITH}, end with) the EOS id or the stop string, else
 * the inner score unchanged.
 *
 * <p>A response has EOS when the EOS id check passes on its token ids, or the stop-string check
 * passes on its text. The id check needs token ids: a sample with response text but no ids can only
 * be checked by the stop string, and is an error when none is set. An empty response without ids
 * counts as missing EOS.
 */
public final class MissingEosPenalty implements RewardFunction {
  /** Where the EOS must appear. */
  public enum Match {
    /** Anywhere in the response (TRL: {@code any(responses == eos_token_id)}). */
    CONTAINS,
    /** As the last token / at the end of the text. */
    ENDS_WITH
  }

  private final RewardFunction inner;
  private final long eosId; // -1 = not set
  private final String stopString; // null = not set
  private final float penalty;
  private final Match match;

  private MissingEosPenalty(Builder b) {
    this.inner = GuardedReward.of(Objects.requireNonNull(b.inner, "inner"));
    if (b.eosId < 0 && b.stopString == null) {
      throw new IllegalArgumentException(
          "MissingEosPenalty needs eosId or stopString; set at least one on the builder");
    }
    if (!Float.isFinite(b.penalty) || b.penalty < 0) {
      throw new IllegalArgumentException("penalty must be finite and >= 0, got " + b.penalty);
    }
    this.eosId = b.eosId;
    this.stopString = b.stopString;
    this.penalty = b.penalty;
    this.match = Objects.requireNonNull(b.match, "match");
  }

  /** A builder around {@code inner}; defaults: penalty 1.0, {@link Match#CONTAINS}. */
  public static Builder builder(RewardFunction inner) {
    return new Builder(inner);
  }

  @Override
  public float[] score(List<Sample> batch) {
    float[] scores = inner.score(batch).clone(); // (B)
    for (int i = 0; i < scores.length; i++) {
      if (!hasEos(i, batch.get(i))) {
        scores[i] -= penalty;
      }
    }
    return scores;
  }

  /** Whether {@code s} has the EOS id or stop string where {@link Match} asks. */
  boolean hasEos(int index, Sample s) {
    boolean checked = false;
    if (eosId >= 0 && s.responseLength() > 0) {
      checked = true;
      if (match == Match.CONTAINS ? s.responseContainsId(eosId) : s.responseEndsWithId(eosId)) {
        return true;
      }
    }
    if (stopString != null) {
      checked = true;
      String r = s.response();
      if (match == Match.CONTAINS ? r.contains(stopString) : r.endsWith(stopString)) {
        return true;
      }
    }
    if (!checked && !s.response().isEmpty()) {
      throw new IllegalArgumentException(
          "sample "
              + index
              + " has no response ids, so its EOS id "
              + eosId
              + " cannot be checked; pass token ids or set stopString");
    }
    return false;
  }

  @Override
  public String name() {
    return "missing_eos_penalty(" + inner.name() + ")";
  }

  /** Builds a {@link MissingEosPenalty}. */
  public static final class Builder {
    private final RewardFunction inner;
    private long eosId = -1;
    private String stopString;
    private float penalty = 1.0f; // TRL docs' TL;DR PPO run: --missing_eos_penalty 1.0
    private Match match = Match.CONTAINS; // TRL checks any(responses == eos)

    private Builder(RewardFunction inner) {
      this.inner = inner;
    }

    /** The EOS token id, &ge; 0. */
    public Builder eosId(long eosId) {
      if (eosId < 0) {
        throw new IllegalArgumentException("eosId must be >= 0, got " + eosId);
      }
      this.eosId = eosId;
      return this;
    }

    /** A stop string looked for in the response text; non-empty. */
    public Builder stopString(String stopString) {
      if (stopString == null || stopString.isEmpty()) {
        throw new IllegalArgumentException(
            "stopString must be non-empty, got '" + stopString + "'");
      }
      this.stopString = stopString;
      return this;
    }

    /** Subtracted from the score when EOS is missing (default 1.0). */
    public Builder penalty(float penalty) {
      this.penalty = penalty;
      return this;
    }

    /** Contains (default) or ends with. */
    public Builder match(Match match) {
      this.match = match;
      return this;
    }

    /** The wrapper. */
    public MissingEosPenalty build() {
      return new MissingEosPenalty(this);
    }
  }
}
