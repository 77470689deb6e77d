package rlhf4j.cli.config;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One section of a {@link ConfigFile}, its keys already checked: typed reads of the command's own
 * keys, {@link #bind} of the rest onto a library builder, and {@link #build} which reports the
 * library's validation errors under the YAML key names the user wrote.
 */
public final class ConfigSection {
  private static final Pattern WORD = Pattern.compile("\\b[a-z][A-Za-z0-9]*\\b");

  /** The part of {@link ConfigBinder#NON_FINITE_HINT} that says a message already explains. */
  private static final String HINTED = ConfigBinder.NON_FINITE_HINT.formatted("");

  private final Path file;
  private final String name;
  private final JsonObject node;
  private final Collection<String> keys;
  private Map<String, String> bound = Map.of();

  ConfigSection(Path file, String name, JsonObject node, Collection<String> keys) {
    this.file = file;
    this.name = name;
    this.node = node;
    this.keys = List.copyOf(keys);
  }

  /** The section's name. */
  public String name() {
    return name;
  }

  /** Whether {@code key} is given (and not null). */
  public boolean has(String key) {
    return node.has(key) && !node.get(key).isJsonNull();
  }

  /** {@code key}'s value as {@code type}, or null when absent. */
  @SuppressWarnings("unchecked")
  public <T> T get(String key, Class<T> type) {
    return (T) get(key, (Type) type);
  }

  /** {@code key}'s value as {@code type} (e.g. a {@code List<List<Long>>}), or null when absent. */
  public Object get(String key, Type type) {
    if (!has(key)) {
      return null;
    }
    try {
      return ConfigBinder.convert(node.get(key), type);
    } catch (IllegalArgumentException e) {
      throw error(key, e.getMessage());
    }
  }

  /** {@code key}'s value, or {@code fallback} when absent. */
  public <T> T get(String key, Class<T> type, T fallback) {
    T v = get(key, type);
    return v == null ? fallback : v;
  }

  /** {@code key}'s value; an error with {@code hint} when absent. */
  public <T> T require(String key, Class<T> type, String hint) {
    T v = get(key, type);
    if (v == null) {
      throw new IllegalArgumentException(
          file + ": missing " + name + "." + key + " (" + hint + ")");
    }
    return v;
  }

  /**
   * Sets every given key among {@code keys} (YAML key → builder method, from {@link
   * ConfigBinder#keys}) on {@code builder}; returns the builder.
   */
  public <B> B bind(B builder, Map<String, String> keys) {
    bound = keys;
    keys.forEach(
        (key, method) -> {
          if (node.has(key)) {
            try {
              ConfigBinder.set(builder, method, node.get(key));
            } catch (IllegalArgumentException e) {
              String message = rename(e.getMessage());
              throw error(key, message.contains(HINTED) ? message : message + nonFiniteHint(key));
            }
          }
        });
    return builder;
  }

  /**
   * Runs {@code build} (a builder's {@code build()}), reporting its validation error under the
   * file, the section and the YAML key names of the bound keys ({@code batchSize} → {@code
   * per_device_train_batch_size}).
   */
  public <T> T build(Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException | NullPointerException e) {
      String message = rename(String.valueOf(e.getMessage()));
      if (message.startsWith(file.toString())) {
        throw e; // already names the file and the key
      }
      String first = message.split("[ ,:]", 2)[0];
      boolean key = keys.contains(first);
      throw new IllegalArgumentException(
          file + ": " + name + (key ? "." : ": ") + message + (key ? nonFiniteHint(first) : ""), e);
    }
  }

  /**
   * Why the library refused {@code key} when its value is YAML's {@code .inf}, {@code -.inf} or
   * {@code .nan} (the parser accepts them; most settings must be finite); else empty.
   */
  private String nonFiniteHint(String key) {
    JsonElement v = node.get(key);
    return ConfigBinder.nonFinite(v)
        ? " ("
            + ConfigBinder.NON_FINITE_HINT.formatted(ConfigBinder.spelled(v.getAsJsonPrimitive()))
            + ")"
        : "";
  }

  /** An error about {@code key}'s value, naming the file and the key. */
  public IllegalArgumentException error(String key, String message) {
    return new IllegalArgumentException(file + ": " + name + "." + key + " " + message);
  }

  /** {@code message} with the Java names of the bound keys replaced by their YAML keys. */
  String rename(String message) {
    Map<String, String> byJava = new java.util.HashMap<>();
    bound.forEach(
        (key, method) -> {
          byJava.put(ConfigBinder.javaName(method), key);
          byJava.put(KeyNames.camel(key), key);
        });
    Matcher m = WORD.matcher(message);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(sb, Matcher.quoteReplacement(byJava.getOrDefault(m.group(), m.group())));
    }
    m.appendTail(sb);
    return sb.toString();
  }
}
