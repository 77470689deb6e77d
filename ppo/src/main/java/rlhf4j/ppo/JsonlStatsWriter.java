package rlhf4j.ppo;

import com.google.gson.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/** Appends one JSON object per step ({@code {"step": n, "objective/kl": ...}}) to a file. */
public final class JsonlStatsWriter implements StatsListener, AutoCloseable {
  private final BufferedWriter out;

  public JsonlStatsWriter(Path file) throws IOException {
    if (file.toAbsolutePath().getParent() != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
    }
    out =
        Files.newBufferedWriter(
            file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  @Override
  public void onStep(long step, Map<String, Double> stats) {
    JsonObject j = new JsonObject();
    j.addProperty("step", step);
    stats.forEach(
        (k, v) -> {
          if (v == null || v.isNaN() || v.isInfinite()) {
            j.addProperty(k, v == null ? null : v.toString());
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
}
