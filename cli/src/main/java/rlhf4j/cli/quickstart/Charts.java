package rlhf4j.cli.quickstart;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** Line charts of per-step metrics, written as PNG with XChart (headless). */
final class Charts {
  private Charts() {}

  /** One line: y against x, same lengths; {@code rightAxis} plots it against a second y axis. */
  record Series(String name, List<Double> x, List<Double> y, boolean rightAxis) {
    Series(String name, List<Double> x, List<Double> y) {
      this(name, x, y, false);
    }

    Series {
      if (x.size() != y.size()) {
        throw new IllegalArgumentException(
            "series '" + name + "' has " + x.size() + " x and " + y.size() + " y values");
      }
      x = List.copyOf(x);
      y = List.copyOf(y);
    }
  }

  /** Writes a chart of {@code series} (empty ones are skipped) to the PNG {@code file}. */
  static void linePng(Path file, String title, String xTitle, String yTitle, List<Series> series)
      throws IOException {
    linePng(file, title, xTitle, yTitle, null, series);
  }

  /**
   * Like {@link #linePng(Path, String, String, String, List)}, with a second y axis titled {@code
   * rightTitle} on the right for the series marked {@code rightAxis}.
   */
  static void linePng(
      Path file, String title, String xTitle, String yTitle, String rightTitle, List<Series> series)
      throws IOException {
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
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static double[] toArray(List<Double> v) {
    double[] a = new double[v.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = v.get(i);
    }
    return a;
  }
}
