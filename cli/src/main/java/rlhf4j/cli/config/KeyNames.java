package rlhf4j.cli.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/**
 * YAML key names: snake_case ↔ Java camelCase, and the "did you mean" suggestion for an unknown key
 * (the renamed keys of earlier versions first, then the closest valid key by edit distance).
 */
public final class KeyNames {
  /** Keys of earlier config files and the HF / TRL / PEFT names that replaced them. */
  static final Map<String, String> FORMER =
      Map.ofEntries(
          Map.entry("epochs", "num_train_epochs"),
          Map.entry("batch_size", "per_device_train_batch_size"),
          Map.entry("eval_batch_size", "per_device_eval_batch_size"),
          Map.entry("scheduler", "lr_scheduler_type"),
          Map.entry("schedule", "lr_scheduler_type"),
          Map.entry("log_every", "logging_steps"),
          Map.entry("output", "output_dir"),
          Map.entry("file", "path"),
          Map.entry("steps", "max_steps"),
          Map.entry("checkpoint_every", "save_steps"),
          Map.entry("keep_last", "save_total_limit"),
          Map.entry("alpha", "lora_alpha"),
          Map.entry("dropout", "lora_dropout"),
          Map.entry("adaptive_kl", "adap_kl_ctrl"),
          Map.entry("kl_target", "target"),
          Map.entry("kl_horizon", "horizon"),
          Map.entry("clip_range", "cliprange"),
          Map.entry("value_clip_range", "cliprange_value"),
          Map.entry("prompts", "data"),
          Map.entry("train", "trainer"),
          Map.entry("ppo", "trainer"));

  private KeyNames() {}

  /** {@code learningRate} → {@code learning_rate}. */
  public static String snake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }

  /** {@code learning_rate} → {@code learningRate}. */
  public static String camel(String snake) {
    StringBuilder sb = new StringBuilder();
    boolean up = false;
    for (char c : snake.toCharArray()) {
      if (c == '_') {
        up = true;
      } else {
        sb.append(up ? Character.toUpperCase(c) : c);
        up = false;
      }
    }
    return sb.toString();
  }

  /**
   * The valid key a user most likely meant by {@code key}, or null: its new name if it was renamed,
   * else the closest valid key within an edit distance of a third of its length (at least 2).
   */
  public static String suggest(String key, Collection<String> valid) {
    String renamed = FORMER.get(key);
    if (renamed != null && valid.contains(renamed)) {
      return renamed;
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String v : valid) {
      int d = distance(key, v);
      if (d < bestDistance) {
        best = v;
        bestDistance = d;
      }
    }
    return bestDistance <= Math.max(2, key.length() / 3) ? best : null;
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
