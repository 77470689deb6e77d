package rlhf4j.cli.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.DuplicateKeyException;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.reader.UnicodeReader;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * A YAML config file as a Gson tree ({@link JsonObject}, {@link JsonArray}, {@link JsonPrimitive},
 * {@link JsonNull}), read safely with SnakeYAML:
 *
 * <ul>
 *   <li>{@link SafeConstructor}: only YAML's own types, never a Java class a file names ({@code
 *       !!java.net.URL} and other tags are refused);
 *   <li>limits: {@value #MAX_CODE_POINTS} characters, {@value #MAX_ALIASES} aliases to lists or
 *       mappings, nesting depth 50;
 *   <li>a duplicate key is an error naming the key and its line;
 *   <li>YAML 1.2's core scalars instead of YAML 1.1's: only {@code true}/{@code false} are booleans
 *       ({@code yes}, {@code no}, {@code on}, {@code off} stay strings), integers are decimal,
 *       {@code 0x} hex or {@code 0b} binary ({@code 010} and {@code 1:30} stay strings, so an
 *       integer field refuses them instead of reading 8 or 90), floats include {@code .inf}, {@code
 *       -.inf} and {@code .nan}, and dates stay strings.
 * </ul>
 *
 * Integers keep their Java type ({@link Integer}, {@link Long} or {@link java.math.BigInteger}) and
 * floats are {@link Double}s, so a binder can tell {@code steps: 2} from {@code steps: 2.0}.
 */
final class YamlTree {
  /** Config files are a few hundred bytes; a megabyte is a mistake (a data file, a model). */
  static final int MAX_CODE_POINTS = 1 << 20;

  /** Anchors are rare in configs; few aliases keep an alias bomb's expansion small. */
  static final int MAX_ALIASES = 10;

  /** Deeper than any config; stops a self-referencing alias ({@code &a [*a]}). */
  private static final int MAX_DEPTH = 64;

  private static final String DUPLICATE = "found duplicate key ";

  private YamlTree() {}

  /**
   * The document in {@code file}; {@link JsonNull} when it is empty (or only comments).
   *
   * @throws IllegalArgumentException naming the file (and the line where known): unreadable, not
   *     valid YAML, a duplicate key, over the limits
   */
  static JsonElement read(Path file) {
    try (InputStream in = Files.newInputStream(file);
        Reader reader = new UnicodeReader(in)) {
      return parse(reader, file.toString());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** {@code text} as a tree (tests, one-line values); errors name {@code source}. */
  static JsonElement parse(String text, String source) {
    return parse(new StringReader(text), source);
  }

  private static JsonElement parse(Reader reader, String source) {
    Object document;
    try {
      document = yaml().load(reader);
    } catch (DuplicateKeyException e) {
      String problem = e.getProblem();
      String key = problem.startsWith(DUPLICATE) ? problem.substring(DUPLICATE.length()) : problem;
      throw new IllegalArgumentException(
          source + at(e.getProblemMark()) + ": duplicate key '" + key + "': give each key once", e);
    } catch (MarkedYAMLException e) {
      throw new IllegalArgumentException(
          source
              + at(e.getProblemMark())
              + ": not valid YAML: "
              + e.getProblem()
              + (e.getContext() == null
                  ? ""
                  : " (" + e.getContext() + at(e.getContextMark()) + ")"),
          e);
    } catch (YAMLException e) {
      String message = String.valueOf(e.getMessage());
      if (message.contains("exceeds the limit")) {
        throw new IllegalArgumentException(
            source
                + ": is longer than "
                + MAX_CODE_POINTS
                + " characters, too long for a config file (is it the right file?)",
            e);
      }
      throw new IllegalArgumentException(source + ": not valid YAML: " + message, e);
    }
    try {
      return tree(document, 0);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  private static String at(Mark mark) {
    return mark == null ? "" : ":" + (mark.getLine() + 1);
  }

  /** A fresh parser (SnakeYAML's {@link Yaml} is not thread-safe). */
  private static Yaml yaml() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setAllowRecursiveKeys(false);
    options.setCodePointLimit(MAX_CODE_POINTS);
    options.setMaxAliasesForCollections(MAX_ALIASES);
    DumperOptions dumper = new DumperOptions();
    return new Yaml(
        new DatesAsStrings(options), new Representer(dumper), dumper, options, new CoreSchema());
  }

  private static JsonElement tree(Object value, int depth) {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException(
          "nested more than " + MAX_DEPTH + " levels deep (or an alias refers to itself)");
    }
    if (value == null) {
      return JsonNull.INSTANCE;
    }
    if (value instanceof String s) {
      return new JsonPrimitive(s);
    }
    if (value instanceof Boolean b) {
      return new JsonPrimitive(b);
    }
    if (value instanceof Number n) {
      return new JsonPrimitive(n);
    }
    if (value instanceof Map<?, ?> m) {
      JsonObject o = new JsonObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String key = key(e.getKey());
        if (o.has(key)) {
          throw new IllegalArgumentException("duplicate key '" + key + "': give each key once");
        }
        o.add(key, tree(e.getValue(), depth + 1));
      }
      return o;
    }
    if (value instanceof Collection<?> c) {
      JsonArray a = new JsonArray(c.size());
      for (Object x : c) {
        a.add(tree(x, depth + 1));
      }
      return a;
    }
    if (value instanceof Object[] pair) { // !!pairs entries
      JsonArray a = new JsonArray(pair.length);
      for (Object x : pair) {
        a.add(tree(x, depth + 1));
      }
      return a;
    }
    throw new IllegalArgumentException(
        "a value of YAML type "
            + value.getClass().getSimpleName()
            + " is not a config setting: give a string, number, boolean, list or mapping");
  }

  private static String key(Object key) {
    if (key == null || key instanceof String || key instanceof Number || key instanceof Boolean) {
      return String.valueOf(key);
    }
    throw new IllegalArgumentException("a key must be a name, got " + key);
  }

  /** {@link SafeConstructor} that keeps an explicit {@code !!timestamp} as its text. */
  private static final class DatesAsStrings extends SafeConstructor {
    DatesAsStrings(LoaderOptions options) {
      super(options);
      yamlConstructors.put(Tag.TIMESTAMP, new ConstructYamlStr());
    }
  }

  /** Implicit types of YAML 1.2's core schema (see the class comment). */
  private static final class CoreSchema extends Resolver {
    private static final Pattern BOOL = Pattern.compile("^(?:true|True|TRUE|false|False|FALSE)$");
    private static final Pattern INT =
        Pattern.compile(
            "^(?:[-+]?0b_*[0-1][0-1_]*|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x_*[0-9a-fA-F][0-9a-fA-F_]*)$");
    private static final Pattern FLOAT =
        Pattern.compile(
            "^(?:[-+]?[0-9][0-9_]*\\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
                + "|[-+]?\\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$");

    @Override
    protected void addImplicitResolvers() {
      addImplicitResolver(Tag.BOOL, BOOL, "tfTF");
      addImplicitResolver(Tag.INT, INT, "-+0123456789");
      addImplicitResolver(Tag.FLOAT, FLOAT, "-+0123456789.");
      addImplicitResolver(Tag.MERGE, MERGE, "<");
      addImplicitResolver(Tag.NULL, NULL, "~nN\0");
      addImplicitResolver(Tag.NULL, EMPTY, null);
    }
  }
}
