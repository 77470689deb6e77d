/**
 * Rewards: one score per (prompt, response) pair.
 *
 * <p>{@link rlhf4j.reward.RewardFunction} is the plug-in (a lambda fits); {@link
 * rlhf4j.reward.GuardedReward} turns bad scores and user exceptions into a clear {@link
 * rlhf4j.reward.RewardException}; {@link rlhf4j.reward.RewardFunctions} loads a reward by short
 * name (ServiceLoader) or class name. Sub-packages: {@code builtin} (rule-based rewards), {@code
 * norm} (TRL's running score scaling), {@code remote} (HTTP JSON scorer client and a loopback
 * reference server).
 */
package rlhf4j.reward;
