package rlhf4j.distributed;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import rlhf4j.ppo.RewardFuncs;
import rlhf4j.reward.GuardedReward;
import rlhf4j.reward.RewardFunction;

/**
 * How executors score a partition's rows, each reward built once per executor JVM ({@link
 * ExecutorPolicy#reward}): PPO's one reward, guarded (one finite score per sample; the rollout's
 * {@code scores}), or the critic-free trainers' reward functions as TRL's {@code reward_funcs} (a
 * score per function, NaN where one gives none, checked by {@link RewardFuncs}; the rollout's
 * {@code rewardsPerFunc}).
 *
 * @param rewards the reward (one) or the reward functions (one or more), in order
 * @param perFunction whether the rows carry one score per function (critic-free) or PPO's one
 */
record Scoring(List<RewardSpec> rewards, boolean perFunction) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Serializes scoring in this JVM: an executor's cores share each reward's one instance. */
  private static final Object LOCK = new Object();

  /** Copies the rewards; PPO's scoring takes exactly one. */
  Scoring {
    rewards = List.copyOf(rewards);
    if (rewards.isEmpty() || (!perFunction && rewards.size() != 1)) {
      throw new IllegalArgumentException(
          "give one reward (PPO) or at least one reward function (GRPO, RLOO), got "
              + rewards.size());
    }
  }

  /** Scores per row: K scores, K the number of functions (1 for PPO's reward). */
  float[][] score(List<RewardFunction.Sample> samples) {
    float[][] out = new float[samples.size()][];
    synchronized (LOCK) {
      if (!perFunction) {
        float[] s = GuardedReward.of(ExecutorPolicy.reward(rewards.get(0))).score(samples);
        for (int i = 0; i < out.length; i++) {
          out[i] = new float[] {s[i]};
        }
        return out;
      }
      List<RewardFunction> funcs = new ArrayList<>();
      for (RewardSpec spec : rewards) {
        funcs.add(RewardFunction.named(spec.nameOrClass(), ExecutorPolicy.reward(spec)));
      }
      double[][] table = new RewardFuncs(funcs).score(samples); // (n, K)
      for (int i = 0; i < out.length; i++) {
        out[i] = new float[table[i].length];
        for (int k = 0; k < table[i].length; k++) {
          out[i][k] = (float) table[i][k]; // the functions' own floats, NaN kept
        }
      }
      return out;
    }
  }
}
