package rlhf4j.cli.plot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rlhf4j plot RUN_DIR [RUN_DIR...]}: charts of the runs' {@code metrics.jsonl}, one per
 * metric, one line per run, to compare runs. Bad input (a missing folder, no metrics file, a
 * malformed line) is refused with the path and line named (exit 2).
 */
@Command(
    name = "plot",
    mixinStandardHelpOptions = true,
    description = {
      "Chart the metrics.jsonl of one or more runs: one chart per metric key (objective/kl,"
          + " ppo/loss/total, ...), one line per run, the step on the x axis; a null value (NaN"
          + " or Inf in the run) is a gap in the line.",
      "Writes one PNG per metric and an index.html showing them all into a folder, or a single"
          + " grid PNG when --out names a .png file."
    })
public final class PlotCommand implements Callable<Integer> {
  @Parameters(
      arity = "1..*",
      paramLabel = "RUN_DIR",
      description =
          "a run's output folder (its metrics.jsonl is read) or a metrics .jsonl file"
              + " (e.g. the quickstart's sft_metrics.jsonl)")
  List<Path> runs;

  @Option(
      names = "--out",
      paramLabel = "FILE_OR_DIR",
      description =
          "a folder for one PNG per metric and index.html, or a .png file for one grid of all"
              + " charts (default: RUN_DIR/plots with one run, ./plots with several)")
  Path out;

  @Option(
      names = "--metrics",
      split = ",",
      paramLabel = "KEY",
      description =
          "chart only these metric keys, in this order, e.g. objective/kl,env/reward_mean"
              + " (default: every key but time/wall_s)")
  List<String> metrics = new ArrayList<>();

  @Option(
      names = "--smooth",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "plot each point as the mean of its run's last N values of that metric (default: 1,"
              + " the values as logged)")
  int smooth;

  @Override
  public Integer call() throws IOException {
    if (smooth < 1) {
      throw new IllegalArgumentException("--smooth must be at least 1, got " + smooth);
    }
    List<RunMetrics> read = new ArrayList<>();
    Set<Path> seen = new HashSet<>();
    for (Path run : runs) {
      if (!seen.add(run.toAbsolutePath().normalize())) {
        throw new IllegalArgumentException(run + " is given twice");
      }
      read.add(RunMetrics.read(run, run.toString(), System.out));
    }
    List<String> keys = MetricPlots.keys(read, metrics);
    Path target =
        out != null
            ? out
            : runs.size() == 1 ? folderOf(runs.get(0)).resolve("plots") : Path.of("plots");
    boolean grid =
        !Files.isDirectory(target)
            && target.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png");
    if (!grid && Files.exists(target) && !Files.isDirectory(target)) {
      throw new IllegalArgumentException(
          "--out " + target + " is a file: give a folder, or a .png file for one grid image");
    }
    List<String> charted;
    Path shown;
    if (grid) {
      charted = MetricPlots.writeGrid(target, read, keys, smooth);
      shown = target;
    } else {
      Map<String, Path> pngs = MetricPlots.writeFolder(target, read, keys, smooth);
      charted = List.copyOf(pngs.keySet());
      shown = target.resolve("index.html");
    }
    for (String k : keys) {
      if (!charted.contains(k)) {
        System.out.printf("plot: %s has no finite value in any run, not charted%n", k);
      }
    }
    if (charted.isEmpty()) {
      throw new IllegalArgumentException(
          "nothing to chart: every value of " + String.join(", ", keys) + " is null");
    }
    System.out.printf(
        "plot: %d chart%s of %d run%s: %s%n",
        charted.size(),
        charted.size() == 1 ? "" : "s",
        read.size(),
        read.size() == 1 ? "" : "s",
        shown);
    return 0;
  }

  /** The folder of a run argument (itself, or the folder of a metrics file). */
  private static Path folderOf(Path run) {
    if (Files.isDirectory(run)) {
      return run;
    }
    Path parent = run.toAbsolutePath().getParent();
    return parent != null ? parent : Path.of(".");
  }
}
