package rlhf4j.policy.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsWriterTest {

  private static List<JsonObject> read(Path file) throws IOException {
    return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
        .map(l -> JsonParser.parseString(l).getAsJsonObject())
        .toList();
  }

  @Test
  void writesOneObjectPerStepWithWallClockAndNullForNonFiniteValues(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("sub/metrics.jsonl");
    try (MetricsWriter w = MetricsWriter.create(file)) {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("loss", 0.5);
      m.put("bad", Double.NaN);
      m.put("worse", Double.POSITIVE_INFINITY);
      w.write(1, m);
      w.write(2, Map.of("loss", 0.25));
    }
    List<JsonObject> lines = read(file);
    assertEquals(2, lines.size());
    JsonObject first = lines.get(0);
    assertEquals(
        List.of("step", MetricsWriter.WALL, "loss", "bad", "worse"), List.copyOf(first.keySet()));
    assertEquals(1, first.get("step").getAsLong());
    assertTrue(first.get(MetricsWriter.WALL).getAsDouble() >= 0);
    assertEquals(0.5, first.get("loss").getAsDouble());
    assertTrue(first.get("bad").isJsonNull());
    assertTrue(first.get("worse").isJsonNull());
  }

  @Test
  void createTruncatesAndAppendKeeps(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("m.jsonl");
    try (MetricsWriter w = MetricsWriter.create(file)) {
      w.write(1, Map.of("x", 1));
    }
    try (MetricsWriter w = MetricsWriter.append(file)) {
      w.write(2, Map.of("x", 2));
    }
    assertEquals(2, read(file).size());
    try (MetricsWriter w = MetricsWriter.create(file)) {
      w.write(1, Map.of("x", 3));
    }
    assertEquals(1, read(file).size());
  }

  @Test
  void resumeDropsLaterStepsAndATornLine(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("m.jsonl");
    Files.writeString(
        file,
        "{\"step\":1,\"x\":1}\n{\"step\":2,\"x\":2}\n{\"step\":3,\"x\":3}\n{\"step\":4,\"x",
        StandardCharsets.UTF_8);
    try (MetricsWriter w = MetricsWriter.resume(file, 2)) {
      w.write(3, Map.of("x", 30));
    }
    List<JsonObject> lines = read(file);
    assertEquals(3, lines.size());
    assertEquals(30, lines.get(2).get("x").getAsInt());
  }
}
