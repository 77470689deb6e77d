package rlhf4j.policy.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.io.AtomicFiles;

/**
 * The metrics file of every trainer (SFT, reward model, PPO): JSONL, one object per call, {@code
 * {"step": n, "time/wall_s": s, "<key>": value, ...}}. {@value #WALL} is the wall-clock time in
 * seconds since the writer was opened; NaN and infinite values are written as {@code null} (JSON
 * has no NaN). Each line is flushed, so a crash loses at most the line being written; {@link
 * #resume} drops a torn last line and the lines after the restored step (rewriting the file
 * atomically), so a resumed run's file reads as if it never stopped.
 */
public final class MetricsWriter implements AutoCloseable {
  /** The wall-clock column: seconds since the writer was opened. */
  public static final String WALL = "time/wall_s";

  private final BufferedWriter out;
  private final long start = System.nanoTime();

  private MetricsWriter(Path file, boolean append) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    out =
        append
            ? Files.newBufferedWriter(
                file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)
            : Files.newBufferedWriter(file, StandardCharsets.UTF_8);
  }

  /** A new file (an existing one is truncated): the start of a run. */
  public static MetricsWriter create(Path file) throws IOException {
    return new MetricsWriter(file, false);
  }

  /** Appends to {@code file} (created when missing). */
  public static MetricsWriter append(Path file) throws IOException {
    return new MetricsWriter(file, true);
  }

  /**
   * Appends to {@code file} after keeping only its lines of steps up to {@code step} (the resumed
   * run rewrites the later ones); a torn or unreadable line is dropped.
   */
  public static MetricsWriter resume(Path file, long step) throws IOException {
    truncate(file, step);
    return new MetricsWriter(file, true);
  }

  /** Writes one line: the step, the wall-clock column, then {@code metrics} in their order. */
  public void write(long step, Map<String, ? extends Number> metrics) {
    JsonObject j = new JsonObject();
    j.addProperty("step", step);
    j.addProperty(WALL, Math.round((System.nanoTime() - start) / 1e6) / 1e3);
    metrics.forEach(
        (k, v) -> {
          if (v == null || !Double.isFinite(v.doubleValue())) {
            j.add(k, JsonNull.INSTANCE);
          } else {
            j.addProperty(k, v);
          }
        });
    try {
      out.write(j.toString());
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  /** Keeps the lines of {@code file} whose step is at most {@code step}, atomically. */
  static void truncate(Path file, long step) throws IOException {
    if (!Files.isRegularFile(file)) {
      return;
    }
    List<String> kept = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      try {
        JsonElement e = JsonParser.parseString(line);
        if (e.isJsonObject()
            && e.getAsJsonObject().has("step")
            && e.getAsJsonObject().get("step").getAsLong() <= step) {
          kept.add(line);
        }
      } catch (JsonParseException | IllegalStateException | NumberFormatException e) {
        // a torn last line from the interrupted run: drop it
      }
    }
    AtomicFiles.write(
        file,
        o -> {
          for (String line : kept) {
            o.write((line + System.lineSeparator()).getBytes(StandardCharsets.UTF_8));
          }
        });
  }
}
