package rlhf4j.distributed;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunctions;

/**
 * The reward an executor builds for itself (once per JVM): a plug-in's short name ({@code
 * reward-model}, {@code remote}, {@code length}, ...) or a class name, with its options, as {@link
 * RewardFunctions#load(String, Map)} takes them. A reward model's weights are then read by each
 * executor from a path every node can read, never shipped.
 *
 * @param nameOrClass the plug-in's short name or a class name
 * @param options the plug-in's options (copied, sorted)
 */
public record RewardSpec(String nameOrClass, Map<String, String> options) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Validates the name and copies the options. */
  public RewardSpec {
    if (nameOrClass == null || nameOrClass.isBlank()) {
      throw new IllegalArgumentException(
          "nameOrClass must name a reward plug-in or a RewardFunction class");
    }
    options = options == null ? Map.of() : new TreeMap<>(options);
  }

  /** A reward without options. */
  public static RewardSpec of(String nameOrClass) {
    return new RewardSpec(nameOrClass, Map.of());
  }

  /** Builds the reward function (on the executor). */
  public RewardFunction create() {
    return options.isEmpty()
        ? RewardFunctions.load(nameOrClass)
        : RewardFunctions.load(nameOrClass, options);
  }
}
