package rlhf4j.testing;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The export folders that {@code tools/fixtures/check_peft_roundtrip.py} reads: base models copied
 * from the fixtures and a {@code manifest.json} with the token ids and one entry per adapter.
 */
public final class PeftExport {
  private PeftExport() {}

  /** Copies fixture {@code hf/<name>} to {@code out/base/<name>} and returns that folder. */
  public static Path copyBase(Path out, String name) throws IOException {
    Path dst = out.resolve("base").resolve(name);
    Files.createDirectories(dst);
    try (var files = Files.list(Fixtures.path("hf/" + name))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, dst.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return dst;
  }

  /** Writes {@code out/manifest.json}: {@code ids} (rows of token ids) and {@code entries}. */
  public static void writeManifest(Path out, long[][] ids, JsonArray entries) throws IOException {
    JsonArray rows = new JsonArray();
    for (long[] row : ids) {
      JsonArray r = new JsonArray();
      for (long v : row) {
        r.add(v);
      }
      rows.add(r);
    }
    JsonObject manifest = new JsonObject();
    manifest.add("ids", rows);
    manifest.add("entries", entries);
    Files.writeString(
        out.resolve("manifest.json"),
        new GsonBuilder().setPrettyPrinting().create().toJson(manifest));
  }
}
