package rlhf4j.rollout;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A rollout of {@code groupSize} completions per prompt (TRL's {@code num_generations}, HF's {@code
 * num_return_sequences}): each prompt is repeated {@code groupSize} times contiguously, as TRL's
 * {@code RepeatSampler} does, so row {@code i} belongs to group (prompt) {@code i / groupSize}. The
 * generator samples every row from its own stream, so the repeats differ.
 *
 * @param rollout the rows, groups contiguous
 * @param groupSize completions per prompt G
 */
public record GroupedRollout(Rollout rollout, int groupSize) {

  /** Validates that {@code groupSize} divides the rows. */
  public GroupedRollout {
    Objects.requireNonNull(rollout, "rollout");
    if (groupSize < 1 || rollout.size() % groupSize != 0) {
      throw new IllegalArgumentException(
          "groupSize must be >= 1 and divide the rollout's "
              + rollout.size()
              + " rows, got "
              + groupSize
              + "; a rollout source must answer every prompt it was given once, in order");
    }
  }

  /**
   * Asks {@code source} for {@code groupSize} completions of every prompt in one call.
   *
   * @param source where the rollouts come from
   * @param prompts the step's prompts
   * @param groupSize completions per prompt
   * @param step the trainer's step (seeds the sampler)
   */
  public static GroupedRollout generate(
      RolloutSource source, List<long[]> prompts, int groupSize, long step) {
    return new GroupedRollout(source.rollout(repeat(prompts, groupSize), step), groupSize);
  }

  /** Every prompt {@code groupSize} times, contiguously (TRL's {@code RepeatSampler}). */
  public static List<long[]> repeat(List<long[]> prompts, int groupSize) {
    if (groupSize < 1) {
      throw new IllegalArgumentException("groupSize must be >= 1, got " + groupSize);
    }
    List<long[]> out = new ArrayList<>(prompts.size() * groupSize);
    for (long[] p : prompts) {
      for (int g = 0; g < groupSize; g++) {
        out.add(p);
      }
    }
    return out;
  }

  /** Number of rows (prompts times {@code groupSize}). */
  public int size() {
    return rollout.size();
  }

  /** Number of groups (prompts). */
  public int groups() {
    return rollout.size() / groupSize;
  }

  /** The group (prompt index within the step) of row {@code row}. */
  public int groupIndex(int row) {
    Objects.checkIndex(row, rollout.size());
    return row / groupSize;
  }

  /** The group index of every row. */
  public int[] groupIndices() {
    int[] out = new int[rollout.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = i / groupSize;
    }
    return out;
  }
}
