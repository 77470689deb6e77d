package rlhf4j.ppo;

import java.util.ArrayList;
import java.util.List;
import rlhf4j.policy.train.Seeds;

/**
 * The prompts of each step of an on-policy trainer: consecutive batches of a pass over the prompts
 * in a seeded order, reshuffled every pass ({@code Seeds.PROMPT_ORDER}, counter: the pass), so the
 * batch of any step follows from the seed and the step alone (exact resume).
 */
public final class PromptOrder {
  private final List<long[]> prompts;
  private final int batchSize;
  private final long seed;

  /**
   * @param prompts the prompts, at least one
   * @param batchSize prompts per step
   * @param seed the run seed
   */
  public PromptOrder(List<long[]> prompts, int batchSize, long seed) {
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("no prompts");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    }
    this.prompts = List.copyOf(prompts);
    this.batchSize = batchSize;
    this.seed = seed;
  }

  /** The {@code batchSize} prompts of step {@code step}. */
  public List<long[]> batch(long step) {
    int n = prompts.size();
    List<long[]> batch = new ArrayList<>(batchSize);
    int[] perm = null;
    long permPass = -1;
    for (int i = 0; i < batchSize; i++) {
      long g = step * batchSize + i;
      long pass = g / n;
      if (pass != permPass) {
        perm = Seeds.permutation(n, Seeds.rng(seed, pass, Seeds.PROMPT_ORDER));
        permPass = pass;
      }
      batch.add(prompts.get(perm[(int) (g % n)]));
    }
    return batch;
  }
}
