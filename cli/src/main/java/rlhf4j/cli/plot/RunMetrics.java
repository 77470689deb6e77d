package rlhf4j.cli.plot;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * One run's {@code metrics.jsonl} as {@link rlhf4j.policy.train.MetricsWriter} writes it: one JSON
 * object per line with an integer {@code step} and numeric metrics, {@code null} for a value that
 * was NaN or infinite (a gap in its chart). Rows are ordered by step; when a step appears twice the
 * later line wins (as after a resumed run). A key absent from a line is no point, not a gap.
 *
 * @param label the run's name in legends (the path as given)
 * @param file the metrics file read
 * @param rows step to its metrics (a null value is a gap), ascending steps
 * @param keys the metric keys in order of first appearance (without {@code step})
 */
public record RunMetrics(
    String label, Path file, NavigableMap<Long, Map<String, Double>> rows, List<String> keys) {
  /** Read-only copies. */
  public RunMetrics {
    TreeMap<Long, Map<String, Double>> copy = new TreeMap<>();
    rows.forEach(
        (step, row) -> copy.put(step, Collections.unmodifiableMap(new LinkedHashMap<>(row))));
    rows = Collections.unmodifiableNavigableMap(copy);
    keys = List.copyOf(keys);
  }

  /** The file name read in a run folder. */
  public static final String FILE = "metrics.jsonl";

  /**
   * Reads {@code path}: a run folder (its {@value #FILE}) or a metrics {@code .jsonl} file. A last
   * line cut short by a crash (no line end, not JSON) is skipped with a note on {@code notes};
   * every other bad line is refused.
   *
   * @throws IllegalArgumentException naming the path (and line) when the folder, the file or a line
   *     is not what is expected, and how to fix it
   */
  public static RunMetrics read(Path path, String label, PrintStream notes) throws IOException {
    Path file = path;
    if (Files.isDirectory(path)) {
      file = path.resolve(FILE);
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException(
            path + " has no " + FILE + " (give the output folder of a training run)");
      }
    } else if (!Files.exists(path)) {
      throw new IllegalArgumentException(
          path + ": no such folder (give the output folder of a training run)");
    } else if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException(path + " is neither a folder nor a metrics file");
    }
    String text = Files.readString(file, StandardCharsets.UTF_8);
    String[] lines = text.split("\n", -1); // the last element follows the last line end
    TreeMap<Long, Map<String, Double>> rows = new TreeMap<>();
    Set<String> keys = new LinkedHashSet<>();
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      boolean unterminated = i == lines.length - 1;
      JsonObject o;
      try {
        JsonElement e = JsonParser.parseString(line);
        if (!e.isJsonObject()) {
          throw new IllegalArgumentException(
              file + " line " + (i + 1) + ": not a JSON object (" + shorten(line) + ")");
        }
        o = e.getAsJsonObject();
      } catch (JsonParseException e) {
        if (unterminated) {
          notes.printf(
              "plot: %s line %d is cut short (the run was interrupted?), skipped%n", file, i + 1);
          continue;
        }
        throw new IllegalArgumentException(
            file + " line " + (i + 1) + ": not valid JSON (" + shorten(line) + ")");
      }
      long step = step(file, i + 1, o);
      Map<String, Double> row = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> kv : o.entrySet()) {
        if (kv.getKey().equals("step")) {
          continue;
        }
        row.put(kv.getKey(), value(file, i + 1, kv.getKey(), kv.getValue()));
        keys.add(kv.getKey());
      }
      rows.put(step, row);
    }
    if (rows.isEmpty()) {
      throw new IllegalArgumentException(file + " has no metrics lines yet");
    }
    return new RunMetrics(label, file, rows, List.copyOf(keys));
  }

  /** The points of {@code key}: steps and values (NaN where the run logged null). */
  public List<double[]> points(String key) {
    List<double[]> out = new ArrayList<>();
    rows.forEach(
        (step, row) -> {
          if (row.containsKey(key)) {
            Double v = row.get(key);
            out.add(new double[] {step, v == null ? Double.NaN : v});
          }
        });
    return out;
  }

  private static long step(Path file, int line, JsonObject o) {
    JsonElement s = o.get("step");
    if (s == null || s.isJsonNull()) {
      throw new IllegalArgumentException(file + " line " + line + ": no \"step\"");
    }
    if (s instanceof JsonPrimitive p && p.isNumber()) {
      double d = p.getAsDouble();
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        return (long) d;
      }
    }
    throw new IllegalArgumentException(
        file + " line " + line + ": \"step\" is " + s + ", not an integer");
  }

  private static Double value(Path file, int line, String key, JsonElement v) {
    if (v.isJsonNull()) {
      return null;
    }
    if (v instanceof JsonPrimitive p && p.isNumber()) {
      double d = p.getAsDouble();
      return Double.isFinite(d) ? d : null;
    }
    throw new IllegalArgumentException(
        file
            + " line "
            + line
            + ": \""
            + key
            + "\" is "
            + shorten(v.toString())
            + ", not a number or null");
  }

  private static String shorten(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
