package rlhf4j.reward;

import java.util.Map;

/**
 * Registers a reward under a short name for {@link RewardFunctions#load(String, Map)}. Implement it
 * with a public no-arg constructor and list the class in {@code
 * META-INF/services/rlhf4j.reward.RewardFunctionProvider}.
 */
public interface RewardFunctionProvider {

  /** The short name, e.g. {@code "length"}; letters, digits, '_' and '-' only. */
  String name();

  /**
   * Builds the reward from string options (see {@link RewardOptions}).
   *
   * @throws IllegalArgumentException for a missing, unknown or malformed option
   */
  RewardFunction create(Map<String, String> options);
}
