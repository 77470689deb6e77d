package rlhf4j.ppo;

import java.util.Map;

/**
 * Receives each step's statistics (PPO, GRPO, RLOO, REINFORCE++, DPO; TRL's key names). One method,
 * so a lambda fits.
 */
@FunctionalInterface
public interface StatsListener {
  void onStep(long step, Map<String, Double> stats);
}
