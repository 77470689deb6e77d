package rlhf4j.cli.quickstart;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import rlhf4j.policy.train.ProgressReporter;

/**
 * What every quickstart phase reads: the options, the recipe, the console, the grammar, the output
 * folder, the run's seeds, and the wall-clock time per phase.
 */
final class QuickstartContext {
  private final QuickstartOptions options;
  private final QuickstartRecipe recipe;
  private final AlgorithmRecipes algorithmRecipes;
  private final Reporter reporter;
  private final SentimentGrammar grammar = new SentimentGrammar();
  private final Map<String, Double> phaseSeconds = new LinkedHashMap<>();
  private long phaseStart;

  QuickstartContext(QuickstartOptions options, QuickstartRecipe recipe, Reporter reporter) {
    this(options, recipe, options.algorithmRecipes(), reporter);
  }

  QuickstartContext(
      QuickstartOptions options,
      QuickstartRecipe recipe,
      AlgorithmRecipes algorithmRecipes,
      Reporter reporter) {
    this.options = Objects.requireNonNull(options, "options");
    this.recipe = Objects.requireNonNull(recipe, "recipe");
    this.algorithmRecipes = Objects.requireNonNull(algorithmRecipes, "algorithmRecipes");
    this.reporter = Objects.requireNonNull(reporter, "reporter");
  }

  QuickstartOptions options() {
    return options;
  }

  QuickstartRecipe recipe() {
    return recipe;
  }

  /** The GRPO, RLOO and DPO recipes. */
  AlgorithmRecipes algorithmRecipes() {
    return algorithmRecipes;
  }

  /** The run's policy-optimisation algorithm. */
  QuickstartAlgorithm algorithm() {
    return options.algorithm();
  }

  Reporter reporter() {
    return reporter;
  }

  SentimentGrammar grammar() {
    return grammar;
  }

  /** The output folder. */
  Path out() {
    return options.out();
  }

  /** A seed for random stream {@code stream} of this run. */
  long seed(int stream) {
    long z = options.seed() * 0x9E3779B97F4A7C15L + stream * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return (z ^ (z >>> 31)) & 0x7FFFFFFFL; // small and non-negative: fits every seed field
  }

  /** Starts timing a phase. */
  void beginPhase() {
    phaseStart = System.nanoTime();
  }

  /** Records the phase's time and logs its line, the time appended in brackets. */
  void endPhase(String name, String format, Object... args) {
    double seconds = recordPhase(name);
    Object[] withTime = Arrays.copyOf(args, args.length + 1);
    withTime[args.length] = ProgressReporter.time(seconds);
    reporter.log(format + " [%s]", withTime);
  }

  /** Records the phase's time without a log line; returns it. */
  double recordPhase(String name) {
    double seconds = (System.nanoTime() - phaseStart) / 1e9;
    phaseSeconds.put(name, seconds);
    return seconds;
  }

  /** Wall-clock seconds per phase so far, in pipeline order. */
  Map<String, Double> phaseSeconds() {
    return Collections.unmodifiableMap(phaseSeconds);
  }
}
