package rlhf4j.ppo.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the golden fixtures under {@code fixtures/algos/} (written by {@code
 * tools/fixtures/make_algo_goldens.py}; NaN is stored as null) and compares with a tolerance,
 * keeping the largest error per quantity (over all cases) so each test class can print them.
 */
public final class Goldens {

  /** float32 noise: the goldens and the Java code agree to this, absolutely. */
  public static final double TOL = 1e-6;

  private final Map<String, Double> maxErrors = new TreeMap<>();

  /** The {@code data} element of a fixture file. */
  public static JsonElement load(String file) {
    String path = "/fixtures/algos/" + file;
    try (InputStream in = Goldens.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException(
            "missing test resource " + path + "; run tools/fixtures/make_algo_goldens.py");
      }
      try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
        return JsonParser.parseReader(r).getAsJsonObject().get("data");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A number, null read as NaN. */
  public static double num(JsonElement e) {
    return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
  }

  /** A 1-d array, nulls read as NaN. */
  public static double[] vec(JsonElement e) {
    JsonArray a = e.getAsJsonArray();
    double[] out = new double[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = num(a.get(i));
    }
    return out;
  }

  /** A 2-d array, nulls read as NaN. */
  public static double[][] mat(JsonElement e) {
    JsonArray a = e.getAsJsonArray();
    double[][] out = new double[a.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = vec(a.get(i));
    }
    return out;
  }

  /** A boolean array. */
  public static boolean[] bools(JsonElement e) {
    JsonArray a = e.getAsJsonArray();
    boolean[] out = new boolean[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsBoolean();
    }
    return out;
  }

  /** A float32 array of a 1-d or 2-d JSON array. */
  public static NDArray f32(NDManager manager, JsonElement e) {
    JsonArray a = e.getAsJsonArray();
    if (a.size() > 0 && a.get(0).isJsonArray()) {
      double[][] m = mat(e);
      float[][] f = new float[m.length][];
      for (int i = 0; i < m.length; i++) {
        f[i] = new float[m[i].length];
        for (int j = 0; j < m[i].length; j++) {
          f[i][j] = (float) m[i][j];
        }
      }
      return manager.create(f);
    }
    double[] v = vec(e);
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return manager.create(f);
  }

  /** Asserts {@code |expected - actual| <= TOL}; NaN equals NaN. */
  public void close(String what, double expected, double actual) {
    if (Double.isNaN(expected) || Double.isNaN(actual)) {
      assertEquals(expected, actual, 0.0, what + ": NaN mismatch");
      return;
    }
    double err = Math.abs(expected - actual);
    // "case quantity[index]" -> "quantity": the report gives the worst case of each formula
    String key = what.replaceAll("\\[.*", "").replaceFirst("^\\S+ ", "");
    maxErrors.merge(key, err, Math::max);
    assertTrue(
        err <= TOL, what + ": expected " + expected + " got " + actual + " (err " + err + ")");
  }

  /** Element-wise {@link #close(String, double, double)}. */
  public void close(String what, double[] expected, double[] actual) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      close(what + "[" + i + "]", expected[i], actual[i]);
    }
  }

  /** Row-wise {@link #close(String, double[], double[])}. */
  public void close(String what, double[][] expected, double[][] actual) {
    assertEquals(expected.length, actual.length, what + ": rows");
    for (int i = 0; i < expected.length; i++) {
      close(what + "[" + i + "]", expected[i], actual[i]);
    }
  }

  /** Compares every metric of a {@code {name: value}} object with {@code actual}. */
  public void closeMetrics(String what, JsonObject expected, Map<String, Double> actual) {
    assertEquals(expected.keySet(), actual.keySet(), what + ": metric names");
    for (String k : expected.keySet()) {
      close(what + " " + k, num(expected.get(k)), actual.get(k));
    }
  }

  /** One line per quantity with its largest absolute error. */
  public String report(String title) {
    StringBuilder sb = new StringBuilder(title + ", max abs error vs golden:");
    maxErrors.forEach((k, v) -> sb.append(String.format("%n  %-40s %.3e", k, v)));
    return sb.toString();
  }
}
