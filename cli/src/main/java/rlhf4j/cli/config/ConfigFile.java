package rlhf4j.cli.config;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
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
  private final Path file;
  private final JsonObject root;

  private ConfigFile(Path file, JsonObject root) {
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
    JsonElement root = YamlTree.read(file);
    if (root.isJsonNull()) {
      throw new IllegalArgumentException(
          file
              + " is empty (or only comments): expected a mapping of sections "
              + List.copyOf(sections)
              + "; see "
              + example);
    }
    if (!root.isJsonObject()) {
      throw new IllegalArgumentException(
          file + ": expected a mapping of sections " + List.copyOf(sections) + ", got " + root);
    }
    ConfigFile c = new ConfigFile(file, root.getAsJsonObject());
    c.checkKeys("", root, sections);
    return c;
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
    JsonElement node = root.get(name);
    if (node == null || node.isJsonNull()) {
      node = new JsonObject();
    } else if (!node.isJsonObject()) {
      throw new IllegalArgumentException(
          file + ": section '" + name + "' must be a mapping of keys, got " + node);
    }
    checkKeys(name, node, keys);
    return new ConfigSection(file, name, node.getAsJsonObject(), keys);
  }

  /** Whether the file has section {@code name}. */
  public boolean has(String name) {
    return root.has(name) && !root.get(name).isJsonNull();
  }

  private void checkKeys(String where, JsonElement node, Collection<String> valid) {
    for (Map.Entry<String, JsonElement> e : node.getAsJsonObject().entrySet()) {
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
