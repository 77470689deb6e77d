package rlhf4j.cli.plot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.XYChart;
import rlhf4j.cli.quickstart.Charts;
import rlhf4j.policy.train.MetricsWriter;

/**
 * The charts of {@code rlhf4j plot}: one per metric key, one line per run, the step on the x axis;
 * a {@code null} in a run's file is a gap in its line. Written as one PNG per metric with an {@code
 * index.html}, or as a single grid PNG.
 */
public final class MetricPlots {
  /** Columns of the grid PNG. */
  static final int GRID_COLUMNS = 2;

  private MetricPlots() {}

  /**
   * The keys to chart: {@code requested} in its order (each must occur in some run), or when it is
   * empty every key of the runs in order of first appearance, less the wall-clock column.
   *
   * @throws IllegalArgumentException naming a requested key no run has, with the keys there are
   */
  public static List<String> keys(List<RunMetrics> runs, List<String> requested) {
    Set<String> all = new LinkedHashSet<>();
    runs.forEach(r -> all.addAll(r.keys()));
    if (requested.isEmpty()) {
      List<String> keys = new ArrayList<>(all);
      keys.remove(MetricsWriter.WALL);
      return keys;
    }
    for (String k : requested) {
      if (!all.contains(k)) {
        throw new IllegalArgumentException(
            "--metrics " + k + ": no run has this key; the keys are " + String.join(", ", all));
      }
    }
    return List.copyOf(new LinkedHashSet<>(requested));
  }

  /**
   * Each value as the mean of the last {@code n} finite values up to it ({@code n} = 1: the values
   * themselves); a NaN (a gap) stays a gap and does not enter the means.
   */
  public static double[] smoothed(double[] y, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("--smooth must be at least 1, got " + n);
    }
    double[] out = new double[y.length];
    double[] window = new double[n];
    int count = 0;
    double sum = 0;
    for (int i = 0; i < y.length; i++) {
      if (Double.isNaN(y[i])) {
        out[i] = Double.NaN;
        continue;
      }
      int slot = count % n;
      if (count >= n) {
        sum -= window[slot];
      }
      window[slot] = y[i];
      sum += y[i];
      count++;
      out[i] = sum / Math.min(count, n);
    }
    return out;
  }

  /** The chart of {@code key}, or null when no run has a finite value of it. */
  public static XYChart chartOf(String key, List<RunMetrics> runs, int smooth) {
    List<Charts.Series> series = new ArrayList<>();
    for (RunMetrics run : runs) {
      List<double[]> points = run.points(key);
      double[] y = new double[points.size()];
      List<Double> xs = new ArrayList<>();
      boolean finite = false;
      for (int i = 0; i < y.length; i++) {
        xs.add(points.get(i)[0]);
        y[i] = points.get(i)[1];
        finite |= !Double.isNaN(y[i]);
      }
      if (!finite) {
        continue;
      }
      List<Double> ys = new ArrayList<>();
      for (double v : smoothed(y, smooth)) {
        ys.add(v);
      }
      series.add(new Charts.Series(run.label(), xs, ys));
    }
    if (series.isEmpty()) {
      return null;
    }
    String title = smooth > 1 ? key + " (mean of " + smooth + ")" : key;
    return Charts.lineChart(title, "step", key, null, series);
  }

  /**
   * Writes one PNG per key into {@code dir} (created when missing) and an {@code index.html} that
   * shows them (none when no key has a finite value); returns the PNGs by key (keys without a
   * finite value are left out).
   */
  public static Map<String, Path> writeFolder(
      Path dir, List<RunMetrics> runs, List<String> keys, int smooth) throws IOException {
    Files.createDirectories(dir);
    Map<String, Path> written = new LinkedHashMap<>();
    Set<String> names = new HashSet<>();
    for (String key : keys) {
      XYChart chart = chartOf(key, runs, smooth);
      if (chart != null) {
        Path png = dir.resolve(fileName(key, names));
        Charts.png(png, chart);
        written.put(key, png);
      }
    }
    if (!written.isEmpty()) {
      Files.writeString(
          dir.resolve("index.html"), index(runs, written, smooth), StandardCharsets.UTF_8);
    }
    return written;
  }

  /** Writes the charts of {@code keys} as one grid PNG; returns the keys charted. */
  public static List<String> writeGrid(
      Path png, List<RunMetrics> runs, List<String> keys, int smooth) throws IOException {
    List<XYChart> charts = new ArrayList<>();
    List<String> charted = new ArrayList<>();
    for (String key : keys) {
      XYChart chart = chartOf(key, runs, smooth);
      if (chart != null) {
        charts.add(chart);
        charted.add(key);
      }
    }
    if (!charts.isEmpty()) {
      Path parent = png.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Charts.gridPng(png, charts, Math.min(GRID_COLUMNS, charts.size()));
    }
    return charted;
  }

  /** A file name for {@code key}'s chart: {@code objective/kl} gives {@code objective_kl.png}. */
  static String fileName(String key, Set<String> used) {
    String base = key.replaceAll("[^A-Za-z0-9._-]", "_");
    String name = base + ".png";
    for (int i = 2; !used.add(name.toLowerCase(java.util.Locale.ROOT)); i++) {
      name = base + "-" + i + ".png";
    }
    return name;
  }

  private static String index(List<RunMetrics> runs, Map<String, Path> charts, int smooth) {
    StringBuilder html = new StringBuilder();
    html.append("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>rlhf4j plot</title>")
        .append("</head>\n<body>\n<h1>rlhf4j plot</h1>\n<p>Runs:");
    for (RunMetrics r : runs) {
      html.append(" <code>").append(escape(r.label())).append("</code>");
    }
    if (smooth > 1) {
      html.append(" (each point the mean of the last ").append(smooth).append(" values)");
    }
    html.append("</p>\n");
    charts.forEach(
        (key, png) ->
            html.append("<figure><img src=\"")
                .append(escape(png.getFileName().toString()))
                .append("\" alt=\"")
                .append(escape(key))
                .append("\"><figcaption>")
                .append(escape(key))
                .append("</figcaption></figure>\n"));
    return html.append("</body></html>\n").toString();
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
