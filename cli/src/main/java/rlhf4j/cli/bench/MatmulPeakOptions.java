package rlhf4j.cli.bench;

import picocli.CommandLine.Option;

/**
 * How long the fp32 matmul peak that {@code bench forward} and {@code bench ppo} compare against is
 * measured (a picocli mixin).
 */
public final class MatmulPeakOptions {
  @Option(
      names = "--matmul-seconds",
      paramLabel = "SECONDS",
      defaultValue = "1.5",
      description =
          "length of each 1024x1024 matmul loop that measures the peak GFLOP/s, run before and"
              + " after the timed work (default: ${DEFAULT-VALUE})")
  double matmulSeconds;

  /** The measured fp32 matmul peak in GFLOP/s. */
  double measure() {
    return BenchSupport.matmulPeakGflops(matmulSeconds, 1024);
  }
}
