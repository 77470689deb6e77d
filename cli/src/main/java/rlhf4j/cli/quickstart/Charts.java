package rlhf4j.cli.quickstart;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Line charts of per-step metrics, written as PNG with XChart (headless): the quickstart's charts
 * and {@code rlhf4j plot}'s. A NaN y value is a gap in its line.
 */
public final class Charts {
  private Charts() {}

  /** One line: y against x, same lengths; {@code rightAxis} plots it against a second y axis. */
  public record Series(String name, List<Double> x, List<Double> y, boolean rightAxis) {
    /** A line on the left y axis. */
    public Series(String name, List<Double> x, List<Double> y) {
      this(name, x, y, false);
    }

    public Series {
      if (x.size() != y.size()) {
        throw new IllegalArgumentException(
            "series '" + name + "' has " + x.size() + " x and " + y.size() + " y values");
      }
      x = List.copyOf(x);
      y = List.copyOf(y);
    }
  }

  /** Writes a chart of {@code series} (empty ones are skipped) to the PNG {@code file}. */
  public static void linePng(
      Path file, String title, String xTitle, String yTitle, List<Series> series)
      throws IOException {
    linePng(file, title, xTitle, yTitle, null, series);
  }

  /**
   * Like {@link #linePng(Path, String, String, String, List)}, with a second y axis titled {@code
   * rightTitle} on the right for the series marked {@code rightAxis}.
   */
  public static void linePng(
      Path file, String title, String xTitle, String yTitle, String rightTitle, List<Series> series)
      throws IOException {
    png(file, lineChart(title, xTitle, yTitle, rightTitle, series));
  }

  /**
   * The chart {@link #linePng(Path, String, String, String, String, List)} writes ({@code
   * rightTitle} may be null), for callers that lay out several charts.
   *
   * @throws IllegalArgumentException when no series has a point
   */
  public static XYChart lineChart(
      String title, String xTitle, String yTitle, String rightTitle, List<Series> series) {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    XYChart chart =
        new XYChartBuilder()
            .width(720)
            .height(420)
            .title(title)
            .xAxisTitle(xTitle)
            .yAxisTitle(yTitle)
            .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setMarkerSize(3);
    int added = 0;
    for (Series s : series) {
      if (s.x().isEmpty()) {
        continue;
      }
      chart
          .addSeries(s.name(), toArray(s.x()), toArray(s.y()))
          .setYAxisGroup(s.rightAxis() ? 1 : 0);
      added++;
    }
    if (rightTitle != null) {
      chart.setYAxisGroupTitle(1, rightTitle);
      chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
    }
    if (added == 0) {
      throw new IllegalArgumentException("chart '" + title + "' has no data");
    }
    return chart;
  }

  /** Writes {@code chart} to the PNG {@code file}. */
  public static void png(Path file, XYChart chart) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
    }
  }

  /** Writes {@code charts} as one PNG, a grid of {@code columns} charts a row. */
  public static void gridPng(Path file, List<XYChart> charts, int columns) throws IOException {
    int rows = (charts.size() + columns - 1) / columns;
    try (OutputStream out = Files.newOutputStream(file)) {
      BitmapEncoder.saveBitmap(charts, rows, columns, out, BitmapEncoder.BitmapFormat.PNG);
    }
  }

  private static double[] toArray(List<Double> v) {
    double[] a = new double[v.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = v.get(i);
    }
    return a;
  }
}
