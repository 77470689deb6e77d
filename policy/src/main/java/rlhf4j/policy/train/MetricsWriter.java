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
 *
 * <p>Beside the JSONL file the same steps go to a TensorBoard event file ({@link
 * TensorBoardEvents}, {@code events.out.tfevents.<seconds>.<host>.rlhf4j} for {@code
 * metrics.jsonl}): one scalar per metric and step, tagged with the metric's key ({@value #WALL} is
 * not repeated there: each event carries its wall time). NaN and infinities stay NaN and infinities
 * there. {@link #create} deletes the earlier event files of the same metrics file, {@link #append}
 * adds a new one, {@link #resume} cuts the earlier ones at the restored step like the JSONL lines.
 */
public final class MetricsWriter implements AutoCloseable {
  /** The wall-clock column: seconds since the writer was opened. */
  public static final String WALL = "time/wall_s";

  private final BufferedWriter out;
  private final TensorBoardEvents events;
  private final long start = System.nanoTime();

  private MetricsWriter(Path file, boolean append) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    out =
        append
            ? Files.newBufferedWriter(
                file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)
            : Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    try {
      events = TensorBoardEvents.open(parent, TensorBoardEvents.suffixFor(file));
    } catch (IOException | RuntimeException e) {
      out.close();
      throw e;
    }
  }

  /**
   * A new file (an existing one is truncated, the event files of an earlier run deleted): the start
   * of a run.
   */
  public static MetricsWriter create(Path file) throws IOException {
    TensorBoardEvents.deleteAll(folderOf(file), TensorBoardEvents.suffixFor(file));
    return new MetricsWriter(file, false);
  }

  /** Appends to {@code file} (created when missing); the events go to a new event file. */
  public static MetricsWriter append(Path file) throws IOException {
    return new MetricsWriter(file, true);
  }

  /**
   * Appends to {@code file} after keeping only its lines of steps up to {@code step} (the resumed
   * run rewrites the later ones); a torn or unreadable line is dropped. The earlier event files are
   * cut the same way and the resumed steps go to a new one.
   */
  public static MetricsWriter resume(Path file, long step) throws IOException {
    truncate(file, step);
    TensorBoardEvents.truncate(folderOf(file), TensorBoardEvents.suffixFor(file), step);
    return new MetricsWriter(file, true);
  }

  /** The TensorBoard event file this writer adds to. */
  public Path eventFile() {
    return events.file();
  }

  private static Path folderOf(Path file) {
    return file.toAbsolutePath().getParent();
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
    events.write(step, metrics);
  }

  @Override
  public void close() throws IOException {
    try {
      out.close();
    } finally {
      events.close();
    }
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
