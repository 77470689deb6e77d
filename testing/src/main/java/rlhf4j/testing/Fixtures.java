package rlhf4j.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The shared test fixtures under {@code /fixtures/} of this module's resources: golden checkpoints,
 * adapters, logits and PPO steps made by HuggingFace transformers/peft/TRL ({@code hf/}, see its
 * README). Any module's tests find them with {@link #path(String)} once they declare the {@code
 * testing} module with test scope. Read-only: tests copy a fixture before changing it.
 */
public final class Fixtures {
  private Fixtures() {}

  private static final String ROOT = "fixtures/";

  /** The fixtures folder (in target/classes or unpacked from the jar); null until needed. */
  private static Path unpacked;

  /**
   * The file or folder {@code fixtures/<relative>} as a real path (native loaders need one):
   * straight from {@code testing/target/classes}, or unpacked once per JVM to a temporary folder
   * when the testing jar is on the class path (as in {@code mvn verify}). Always this module's
   * copy, never a same-named resource elsewhere on the class path (such as a stale {@code
   * target/test-classes}).
   */
  public static Path path(String relative) {
    Path file = root().resolve(relative).normalize();
    if (!Files.exists(file)) {
      throw new IllegalStateException(
          "missing test fixture fixtures/"
              + relative
              + ": it belongs in testing/src/main/resources/fixtures/ (looked in "
              + file
              + "); a module's tests reach it through <dependency><groupId>io.github.rlhf4j</groupId>"
              + "<artifactId>testing</artifactId><scope>test</scope></dependency>");
    }
    return file;
  }

  /** The fixtures folder: in this module's classes folder, or unpacked from its jar once. */
  private static synchronized Path root() {
    if (unpacked != null) {
      return unpacked;
    }
    try {
      Path location =
          Path.of(Fixtures.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      unpacked = Files.isDirectory(location) ? location.resolve(ROOT) : unpack(location);
      return unpacked;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack the test fixtures of the testing jar", e);
    } catch (URISyntaxException | RuntimeException e) {
      throw new IllegalStateException("cannot locate the testing module's fixtures", e);
    }
  }

  /** Unpacks every {@code fixtures/} entry of the testing jar into a temporary folder. */
  private static Path unpack(Path jarFile) throws IOException {
    Path root = Files.createTempDirectory("rlhf4j-fixtures");
    try (JarFile jar = new JarFile(jarFile.toFile())) {
      Enumeration<JarEntry> entries = jar.entries();
      while (entries.hasMoreElements()) {
        JarEntry e = entries.nextElement();
        if (!e.getName().startsWith(ROOT) || e.isDirectory()) {
          continue;
        }
        Path dst = root.resolve(e.getName().substring(ROOT.length())).normalize();
        if (!dst.startsWith(root)) {
          throw new IOException("jar entry outside fixtures/: " + e.getName());
        }
        Files.createDirectories(dst.getParent());
        try (InputStream in = jar.getInputStream(e)) {
          Files.copy(in, dst, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
    return root;
  }

  private static void deleteTree(Path root) {
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.delete(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc)
                throws IOException {
              Files.delete(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      // a temporary folder left behind at exit is harmless
    }
  }

  /** A golden logits file: ids, logits [B][T][V], token_logprobs [B][T-1]. */
  public record Logits(long[][] ids, float[][][] logits, float[][] tokenLogprobs) {}

  /** The golden logits file {@code hf/logits/<name>.json}, e.g. {@code "gpt2-tiny.base"}. */
  public static Logits logits(String name) {
    JsonObject j = logitsJson(name);
    long[][] ids = longRows(j.getAsJsonArray("ids"));
    JsonArray lg = j.getAsJsonArray("logits");
    float[][][] logits = new float[lg.size()][][];
    for (int b = 0; b < logits.length; b++) {
      logits[b] = floats2d(lg.get(b).getAsJsonArray());
    }
    return new Logits(ids, logits, floats2d(j.getAsJsonArray("token_logprobs")));
  }

  /** The attention_mask [B][T] of the golden logits file {@code hf/logits/<name>.json}. */
  public static long[][] attentionMask(String name) {
    return longRows(logitsJson(name).getAsJsonArray("attention_mask"));
  }

  /**
   * Largest |expected − actual| over all elements, {@code actual} being {@code expected} flattened
   * (B·T·V floats); an {@link AssertionError} when the sizes differ.
   */
  public static double maxAbsDiff(float[][][] expected, float[] actual) {
    int n = 0;
    for (float[][] rows : expected) {
      for (float[] row : rows) {
        n += row.length;
      }
    }
    float[] flat = new float[n];
    int i = 0;
    for (float[][] rows : expected) {
      for (float[] row : rows) {
        System.arraycopy(row, 0, flat, i, row.length);
        i += row.length;
      }
    }
    return FloatArrays.maxAbsDiff(flat, actual);
  }

  /**
   * Largest |expected − actual| with {@code actual} being {@code expected} flattened (T·V floats).
   */
  public static double maxAbsDiff(float[][] expected, float[] actual) {
    return maxAbsDiff(new float[][][] {expected}, actual);
  }

  private static JsonObject logitsJson(String name) {
    Path file = path("hf/logits/" + name + ".json");
    try {
      return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read golden logits " + file, e);
    }
  }

  /** Rows of token ids (or a 0/1 mask) from a JSON array of arrays. */
  public static long[][] longRows(JsonArray rows) {
    long[][] out = new long[rows.size()][];
    for (int b = 0; b < out.length; b++) {
      JsonArray r = rows.get(b).getAsJsonArray();
      out[b] = new long[r.size()];
      for (int t = 0; t < out[b].length; t++) {
        out[b][t] = r.get(t).getAsLong();
      }
    }
    return out;
  }

  private static float[][] floats2d(JsonArray rows) {
    float[][] out = new float[rows.size()][];
    for (int t = 0; t < out.length; t++) {
      JsonArray r = rows.get(t).getAsJsonArray();
      out[t] = new float[r.size()];
      for (int v = 0; v < out[t].length; v++) {
        out[t][v] = r.get(v).getAsFloat();
      }
    }
    return out;
  }
}
