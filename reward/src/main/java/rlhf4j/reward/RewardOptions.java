package rlhf4j.reward;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Typed access to a reward's string options ({@code Map<String, String>} from config). Every error
 * names the reward, the key and the value.
 */
public final class RewardOptions {
  private final String rewardName;
  private final Map<String, String> options;

  private RewardOptions(String rewardName, Map<String, String> options) {
    this.rewardName = rewardName;
    this.options = options;
  }

  /**
   * Wraps {@code options} for the reward {@code rewardName}, rejecting keys outside {@code known}.
   *
   * @throws IllegalArgumentException for an unknown key, listing the known ones
   */
  public static RewardOptions of(String rewardName, Map<String, String> options, String... known) {
    Objects.requireNonNull(rewardName, "rewardName");
    Map<String, String> copy = new TreeMap<>(options == null ? Map.of() : options);
    Set<String> allowed = new TreeSet<>(Arrays.asList(known));
    for (String key : copy.keySet()) {
      if (!allowed.contains(key)) {
        throw new IllegalArgumentException(
            "unknown option '" + key + "' for reward '" + rewardName + "'; known: " + allowed);
      }
    }
    return new RewardOptions(rewardName, copy);
  }

  /** A required string option. */
  public String requireString(String key) {
    String v = options.get(key);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException(
          "reward '" + rewardName + "' needs option '" + key + "'; add " + key + "=<value>");
    }
    return v;
  }

  /** A string option, or {@code def} when absent. */
  public String getString(String key, String def) {
    return options.getOrDefault(key, def);
  }

  /** A double option, or {@code def} when absent. */
  public double getDouble(String key, double def) {
    String v = options.get(key);
    if (v == null) {
      return def;
    }
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw bad(key, v, "a number");
    }
  }

  /** An int option, or {@code def} when absent. */
  public int getInt(String key, int def) {
    String v = options.get(key);
    if (v == null) {
      return def;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw bad(key, v, "an integer");
    }
  }

  /** A required int option. */
  public int requireInt(String key) {
    requireString(key);
    return getInt(key, 0);
  }

  /** A boolean option ({@code true}/{@code false}, any case), or {@code def} when absent. */
  public boolean getBoolean(String key, boolean def) {
    String v = options.get(key);
    if (v == null) {
      return def;
    }
    String t = v.trim().toLowerCase(Locale.ROOT);
    if (t.equals("true")) {
      return true;
    }
    if (t.equals("false")) {
      return false;
    }
    throw bad(key, v, "true or false");
  }

  /** An enum option matched case-insensitively by constant name, or {@code def} when absent. */
  public <E extends Enum<E>> E getEnum(String key, Class<E> type, E def) {
    String v = options.get(key);
    if (v == null) {
      return def;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(v.trim())) {
        return e;
      }
    }
    throw bad(
        key, v, "one of " + Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT));
  }

  private IllegalArgumentException bad(String key, String value, String expected) {
    return new IllegalArgumentException(
        "option '"
            + key
            + "' of reward '"
            + rewardName
            + "' must be "
            + expected
            + ", got '"
            + value
            + "'");
  }
}
