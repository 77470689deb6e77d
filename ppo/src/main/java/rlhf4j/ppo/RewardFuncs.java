package rlhf4j.ppo;

import java.util.ArrayList;
import java.util.List;
import rlhf4j.reward.GuardedReward;
import rlhf4j.reward.RewardException;
import rlhf4j.reward.RewardFunction;

/**
 * Several reward functions scoring one batch, as TRL's {@code reward_funcs}: each function's scores
 * form a column of an (N, K) table. A function may return NaN for a sample it cannot score (TRL's
 * {@code None}); infinite scores, wrong counts and exceptions are the function's fault and raise
 * {@link RewardException} naming it.
 */
public final class RewardFuncs {
  private final List<RewardFunction> funcs;

  /**
   * @param funcs at least one function; their {@link RewardFunction#name()}s name the metrics
   */
  public RewardFuncs(List<RewardFunction> funcs) {
    if (funcs.isEmpty()) {
      throw new IllegalArgumentException("give at least one reward function");
    }
    this.funcs = List.copyOf(funcs);
  }

  /** The functions' names, for {@code rewards/<name>/mean}. */
  public List<String> names() {
    List<String> names = new ArrayList<>();
    for (RewardFunction f : funcs) {
      names.add(f instanceof GuardedReward g ? g.delegate().name() : f.name());
    }
    return names;
  }

  /** Number of functions K. */
  public int size() {
    return funcs.size();
  }

  /**
   * Scores the batch with every function.
   *
   * @return (N, K) scores, NaN where a function gave none
   */
  public double[][] score(List<RewardFunction.Sample> batch) {
    double[][] table = new double[batch.size()][funcs.size()];
    List<String> names = names();
    for (int k = 0; k < funcs.size(); k++) {
      String name = names.get(k);
      float[] scores;
      try {
        scores = funcs.get(k).score(batch);
      } catch (RewardException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new RewardException(
            name,
            "reward '"
                + name
                + "' threw "
                + e.getClass().getName()
                + ": "
                + e.getMessage()
                + "; fix the reward's code, or return NaN for samples it cannot score",
            e);
      }
      if (scores == null || scores.length != batch.size()) {
        throw new RewardException(
            name,
            "reward '"
                + name
                + "' returned "
                + (scores == null ? "null" : scores.length + " scores")
                + " for a batch of "
                + batch.size()
                + "; return one score per sample (NaN for none), in batch order");
      }
      for (int i = 0; i < scores.length; i++) {
        if (Float.isInfinite(scores[i])) {
          throw new RewardException(
              name,
              "reward '"
                  + name
                  + "' returned "
                  + scores[i]
                  + " at index "
                  + i
                  + "; scores must be finite, or NaN for no score");
        }
        table[i][k] = scores[i];
      }
    }
    return table;
  }
}
