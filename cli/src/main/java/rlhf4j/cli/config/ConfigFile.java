package rlhf4j.cli.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A command's YAML file: a mapping of sections ({@code model}, {@code data}, {@code trainer}, ...),
 * each a mapping of snake_case keys. Unknown keys are errors naming the file, the key, the closest
 * valid key and all valid keys. Relative paths in values are resolved by the commands against the
 * working directory.
 */
public final class ConfigFile {
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

  private final Path file;
  private final ObjectNode root;

  private ConfigFile(Path file, ObjectNode root) {
    this.file = file;
    this.root = root;
  }

  /**
   * Reads {@code file} and checks its section names.
   *
   * @param sections the valid section names
   * @param example the shipped example to point to when the file is empty
   * @throws IllegalArgumentException naming the file for a missing or empty file, invalid YAML, a
   *     file that is not a mapping, or an unknown section
   */
  public static ConfigFile read(Path file, Collection<String> sections, String example) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("config file " + file + " does not exist");
    }
    JsonNode root;
    try {
      root = YAML.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          file
              + (e.getLocation() == null ? "" : ":" + e.getLocation().getLineNr())
              + ": "
              + yamlProblem(e.getOriginalMessage()),
          e);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new IllegalArgumentException(file + " is empty; see " + example);
    }
    if (!root.isObject()) {
      throw new IllegalArgumentException(
          file + ": expected a mapping of sections " + List.copyOf(sections) + ", got " + root);
    }
    ConfigFile c = new ConfigFile(file, (ObjectNode) root);
    c.checkKeys("", root, sections);
    return c;
  }

  private static final java.util.regex.Pattern DUPLICATE =
      java.util.regex.Pattern.compile(
          "Duplicate field '([^']*)'.*", java.util.regex.Pattern.DOTALL);
  private static final java.util.regex.Pattern NON_FINITE =
      java.util.regex.Pattern.compile(
          "Malformed numeric value '([-+]?\\.(?:nan|NaN|NAN|inf|Inf|INF))'.*",
          java.util.regex.Pattern.DOTALL);

  /** The parser's complaint in the user's terms (Jackson names its own classes and features). */
  static String yamlProblem(String message) {
    java.util.regex.Matcher dup = DUPLICATE.matcher(message);
    if (dup.matches()) {
      return "duplicate key '" + dup.group(1) + "': give each key once";
    }
    java.util.regex.Matcher nonFinite = NON_FINITE.matcher(message);
    if (nonFinite.matches()) {
      return nonFinite.group(1) + " is valid YAML but not a usable setting: give a finite number";
    }
    return "not valid YAML: " + message;
  }

  /** The file's path. */
  public Path file() {
    return file;
  }

  /**
   * Section {@code name} (empty when absent), checked against its valid keys.
   *
   * @param keys the section's valid keys: the command's own keys and those a builder binds ({@link
   *     ConfigBinder#keys})
   */
  public ConfigSection section(String name, Collection<String> keys) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      node = JsonNodeFactory.instance.objectNode();
    } else if (!node.isObject()) {
      throw new IllegalArgumentException(
          file + ": section '" + name + "' must be a mapping of keys, got " + node);
    }
    checkKeys(name, node, keys);
    return new ConfigSection(file, name, (ObjectNode) node, keys);
  }

  /** Whether the file has section {@code name}. */
  public boolean has(String name) {
    return root.has(name) && !root.get(name).isNull();
  }

  private void checkKeys(String where, JsonNode node, Collection<String> valid) {
    for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) node::fields) {
      String key = e.getKey();
      if (!valid.contains(key)) {
        String suggestion = KeyNames.suggest(key, valid);
        throw new IllegalArgumentException(
            file
                + ": unknown "
                + (where.isEmpty() ? "section" : "key")
                + " '"
                + (where.isEmpty() ? "" : where + ".")
                + key
                + "'"
                + (suggestion == null ? "" : "; did you mean `" + suggestion + "`?")
                + " valid "
                + (where.isEmpty() ? "sections: " : "keys in " + where + ": ")
                + String.join(", ", valid));
      }
    }
  }
}
