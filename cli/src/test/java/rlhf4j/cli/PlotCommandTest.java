package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import rlhf4j.cli.plot.MetricPlots;
import rlhf4j.cli.plot.RunMetrics;

/** {@code rlhf4j plot} on tiny metrics files written here. */
class PlotCommandTest {
  @TempDir Path tmp;

  /** Run a: four steps, a null (NaN in the run) at step 3 of x/loss. */
  static final String RUN_A =
      """
      {"step":1,"time/wall_s":0.1,"objective/kl":0.0,"x/loss":2.0}
      {"step":2,"time/wall_s":0.2,"objective/kl":0.1,"x/loss":1.5}
      {"step":3,"time/wall_s":0.3,"objective/kl":0.3,"x/loss":null}
      {"step":4,"time/wall_s":0.4,"objective/kl":0.2,"x/loss":1.0}
      """;

  /** Run b: three steps, no x/loss. */
  static final String RUN_B =
      """
      {"step":1,"time/wall_s":0.1,"objective/kl":0.05}
      {"step":2,"time/wall_s":0.2,"objective/kl":0.15}
      {"step":3,"time/wall_s":0.3,"objective/kl":0.25}
      """;

  Path run(String name, String metrics) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(name));
    Files.writeString(dir.resolve("metrics.jsonl"), metrics);
    return dir;
  }

  static BufferedImage png(Path file) throws IOException {
    assertTrue(Files.isRegularFile(file), file + " exists");
    BufferedImage image = ImageIO.read(file.toFile());
    assertNotNull(image, file + " decodes as an image");
    return image;
  }

  static RunMetrics read(Path run) throws IOException {
    return RunMetrics.read(run, run.getFileName().toString(), System.out);
  }

  @Test
  void twoRunsGiveOnePngPerMetricWithALinePerRunAndAnIndex() throws IOException {
    Path a = run("a", RUN_A);
    Path b = run("b", RUN_B);
    Path out = tmp.resolve("charts");
    CliRun.Result r = CliRun.run("plot", a.toString(), b.toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("plot: 2 charts of 2 runs: " + out.resolve("index.html")), r.out());

    BufferedImage kl = png(out.resolve("objective_kl.png"));
    assertEquals(720, kl.getWidth());
    assertEquals(420, kl.getHeight());
    png(out.resolve("x_loss.png"));
    assertFalse(Files.exists(out.resolve("time_wall_s.png")), "the wall clock is not a metric");
    String index = Files.readString(out.resolve("index.html"));
    assertTrue(index.contains("<img src=\"objective_kl.png\" alt=\"objective/kl\">"), index);
    assertTrue(index.contains("<img src=\"x_loss.png\""), index);
    assertTrue(
        index.contains("<code>" + a + "</code>") && index.contains("<code>" + b + "</code>"));

    List<RunMetrics> runs = List.of(read(a), read(b));
    XYChart klChart = MetricPlots.chartOf("objective/kl", runs, 1);
    assertEquals(List.of("a", "b"), List.copyOf(klChart.getSeriesMap().keySet()));
    XYSeries bSeries = klChart.getSeriesMap().get("b");
    assertArrayEquals(new double[] {1, 2, 3}, bSeries.getXData());
    assertArrayEquals(new double[] {0.05, 0.15, 0.25}, bSeries.getYData());

    XYChart loss = MetricPlots.chartOf("x/loss", runs, 1);
    assertEquals(List.of("a"), List.copyOf(loss.getSeriesMap().keySet()), "b has no x/loss");
    double[] y = loss.getSeriesMap().get("a").getYData();
    assertEquals(4, y.length);
    assertTrue(Double.isNaN(y[2]), "null at step 3 is a gap");
    assertEquals(1.0, y[3]);
  }

  @Test
  void aPngOutIsOneGridOfTheChosenMetrics() throws IOException {
    Path a = run("a", RUN_A);
    Path b = run("b", RUN_B);
    Path grid = tmp.resolve("out/grid.png");
    CliRun.Result r =
        CliRun.run(
            "plot",
            a.toString(),
            b.toString(),
            "--out",
            grid.toString(),
            "--metrics",
            "x/loss,objective/kl",
            "--smooth",
            "2");
    assertEquals(0, r.code(), r.err());
    BufferedImage image = png(grid);
    assertEquals(2 * 720, image.getWidth(), "two charts side by side");
    assertEquals(420, image.getHeight());
    assertFalse(Files.exists(tmp.resolve("out/index.html")));
  }

  @Test
  void oneRunDefaultsToItsPlotsFolderAndAcceptsAMetricsFile() throws IOException {
    Path a = run("a", RUN_A);
    CliRun.Result r = CliRun.run("plot", a.toString());
    assertEquals(0, r.code(), r.err());
    png(a.resolve("plots/objective_kl.png"));
    assertTrue(Files.isRegularFile(a.resolve("plots/index.html")));

    Path sft = Files.writeString(a.resolve("sft_metrics.jsonl"), "{\"step\":1,\"sft/loss\":3}\n");
    Path out = tmp.resolve("sft");
    CliRun.Result s = CliRun.run("plot", sft.toString(), "--out", out.toString());
    assertEquals(0, s.code(), s.err());
    png(out.resolve("sft_loss.png"));
  }

  @Test
  void smoothingIsATrailingMeanThatSkipsGaps() {
    double nan = Double.NaN;
    assertArrayEquals(
        new double[] {1, 1.5, nan, 2.5, 3.5},
        MetricPlots.smoothed(new double[] {1, 2, nan, 3, 4}, 2));
    assertArrayEquals(new double[] {1, 2, 3}, MetricPlots.smoothed(new double[] {1, 2, 3}, 1));
    assertArrayEquals(new double[] {2, 3, 4}, MetricPlots.smoothed(new double[] {2, 4, 6}, 5));
  }

  @Test
  void aLastLineCutShortByACrashIsSkippedWithANote() throws IOException {
    Path a = run("a", RUN_A + "{\"step\":5,\"objective/k");
    CliRun.Result r = CliRun.run("plot", a.toString(), "--out", tmp.resolve("o").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("line 5 is cut short"), r.out());
    ByteArrayOutputStream notes = new ByteArrayOutputStream();
    RunMetrics m = RunMetrics.read(a, "a", new PrintStream(notes, true));
    assertEquals(List.of(1L, 2L, 3L, 4L), List.copyOf(m.rows().keySet()));
  }

  @Test
  void badInputIsRefusedWithExitTwoAndThePathNamed() throws IOException {
    Path missing = tmp.resolve("nope");
    expectUsage(List.of("plot", missing.toString()), missing + ": no such folder");

    Path empty = Files.createDirectories(tmp.resolve("empty"));
    expectUsage(List.of("plot", empty.toString()), empty + " has no metrics.jsonl");

    Path bad = run("bad", "{\"step\":1,\"x\":1}\nnot json\n{\"step\":3,\"x\":3}\n");
    expectUsage(
        List.of("plot", bad.toString()), bad.resolve("metrics.jsonl") + " line 2: not valid JSON");

    Path array = run("array", "{\"step\":1,\"x\":1}\n[1,2]\n");
    expectUsage(List.of("plot", array.toString()), "line 2: not a JSON object");

    Path text = run("text", "{\"step\":1,\"x\":1}\n{\"step\":2,\"x\":\"high\"}\n");
    expectUsage(
        List.of("plot", text.toString()), "line 2: \"x\" is \"high\", not a number or null");

    Path noStep = run("nostep", "{\"x\":1}\n");
    expectUsage(List.of("plot", noStep.toString()), "line 1: no \"step\"");

    Path fraction = run("fraction", "{\"step\":1.5,\"x\":1}\n");
    expectUsage(List.of("plot", fraction.toString()), "line 1: \"step\" is 1.5, not an integer");

    Path blank = run("blank", "\n\n");
    expectUsage(List.of("plot", blank.toString()), "has no metrics lines yet");

    Path a = run("a", RUN_A);
    expectUsage(
        List.of("plot", a.toString(), "--metrics", "objective/kl,nope"),
        "--metrics nope: no run has this key; the keys are time/wall_s, objective/kl, x/loss");
    expectUsage(
        List.of("plot", a.toString(), "--smooth", "0"), "--smooth must be at least 1, got 0");
    expectUsage(List.of("plot", a.toString(), a.toString()), a + " is given twice");
    Path file = Files.writeString(tmp.resolve("notes.txt"), "x");
    expectUsage(
        List.of("plot", a.toString(), "--out", file.toString()), "--out " + file + " is a file");

    Path nulls = run("nulls", "{\"step\":1,\"x\":null}\n");
    expectUsage(List.of("plot", nulls.toString()), "nothing to chart: every value of x is null");

    CliRun.Result none = CliRun.run("plot");
    assertEquals(2, none.code());
    assertTrue(none.err().contains("RUN_DIR"), none.err());
  }

  private static void expectUsage(List<String> args, String message) {
    CliRun.Result r = CliRun.run(args.toArray(String[]::new));
    assertEquals(2, r.code(), args + ": " + r.err());
    assertTrue(r.err().startsWith("rlhf4j plot: "), r.err());
    assertTrue(r.err().contains(message), args + " says " + r.err());
  }

  @Test
  void plotIsListedByHelp() {
    CliRun.Result r = CliRun.run("help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("  plot "), r.out());
    CliRun.Result p = CliRun.run("help", "plot");
    assertTrue(p.out().contains("Usage: rlhf4j plot"), p.out());
    assertFalse(p.out().contains("--threads"), "plot runs no model: " + p.out());
  }
}
