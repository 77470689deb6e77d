package rlhf4j.rollout;

import rlhf4j.policy.train.Seeds;

/**
 * Per-prompt sampling seeds: prompt {@code i} of step {@code step} samples from a stream of its
 * own, derived from the run seed, the step and {@code i} (the prompt's index in the step's batch).
 * A source that splits the batch over several workers gives each row the seed of its global index,
 * so the tokens do not depend on how the prompts were partitioned.
 */
public final class PromptSeeds {
  private PromptSeeds() {}

  /**
   * The seed of prompt {@code promptIndex} of step {@code step} in a run seeded with {@code seed}.
   */
  public static long of(long seed, long step, long promptIndex) {
    return Seeds.mix(Seeds.mix(seed, step, Seeds.SAMPLING), promptIndex, Seeds.SAMPLING);
  }

  /** Seeds of prompts {@code from .. from + count - 1} of a step. */
  public static long[] range(long seed, long step, long from, int count) {
    long[] seeds = new long[count];
    for (int i = 0; i < count; i++) {
      seeds[i] = of(seed, step, from + i);
    }
    return seeds;
  }
}
