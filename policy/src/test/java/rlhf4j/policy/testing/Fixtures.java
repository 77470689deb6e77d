package rlhf4j.policy.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test fixtures copied from HuggingFace code (see resources/fixtures/hf/README.md). */
public final class Fixtures {
  private Fixtures() {}

  /** The path of a test resource under {@code /fixtures/}. */
  public static Path path(String relative) {
    URL url = Fixtures.class.getResource("/fixtures/" + relative);
    if (url == null) {
      throw new IllegalStateException("missing test resource fixtures/" + relative);
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A golden logits file: ids, logits [B][T][V], token_logprobs [B][T-1]. */
  public record Logits(long[][] ids, float[][][] logits, float[][] tokenLogprobs) {}

  public static Logits logits(String name) {
    try {
      JsonObject j =
          JsonParser.parseString(Files.readString(path("hf/logits/" + name + ".json")))
              .getAsJsonObject();
      JsonArray ids = j.getAsJsonArray("ids");
      long[][] idArr = new long[ids.size()][];
      for (int b = 0; b < idArr.length; b++) {
        JsonArray row = ids.get(b).getAsJsonArray();
        idArr[b] = new long[row.size()];
        for (int t = 0; t < row.size(); t++) {
          idArr[b][t] = row.get(t).getAsLong();
        }
      }
      JsonArray lg = j.getAsJsonArray("logits");
      float[][][] logits = new float[lg.size()][][];
      for (int b = 0; b < logits.length; b++) {
        JsonArray rows = lg.get(b).getAsJsonArray();
        logits[b] = new float[rows.size()][];
        for (int t = 0; t < rows.size(); t++) {
          logits[b][t] = floats(rows.get(t).getAsJsonArray());
        }
      }
      JsonArray tl = j.getAsJsonArray("token_logprobs");
      float[][] tlp = new float[tl.size()][];
      for (int b = 0; b < tlp.length; b++) {
        tlp[b] = floats(tl.get(b).getAsJsonArray());
      }
      return new Logits(idArr, logits, tlp);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The attention_mask of a golden logits file. */
  public static long[][] attentionMask(String name) {
    try {
      JsonArray rows =
          JsonParser.parseString(Files.readString(path("hf/logits/" + name + ".json")))
              .getAsJsonObject()
              .getAsJsonArray("attention_mask");
      long[][] out = new long[rows.size()][];
      for (int b = 0; b < out.length; b++) {
        JsonArray r = rows.get(b).getAsJsonArray();
        out[b] = new long[r.size()];
        for (int t = 0; t < out[b].length; t++) {
          out[b][t] = r.get(t).getAsLong();
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static float[] floats(JsonArray a) {
    float[] f = new float[a.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = a.get(i).getAsFloat();
    }
    return f;
  }

  /** Largest |a − b| over all elements, flattening {@code actual} (B·T·V floats). */
  public static double maxAbsDiff(float[][][] expected, float[] actual) {
    double max = 0;
    int i = 0;
    for (float[][] rows : expected) {
      for (float[] row : rows) {
        for (float v : row) {
          max = Math.max(max, Math.abs(v - actual[i++]));
        }
      }
    }
    if (i != actual.length) {
      throw new AssertionError("size mismatch: expected " + i + " values, got " + actual.length);
    }
    return max;
  }

  public static double maxAbsDiff(float[][] expected, float[] actual) {
    return maxAbsDiff(new float[][][] {expected}, actual);
  }
}
