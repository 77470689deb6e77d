package rlhf4j.cli.quickstart;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a user chooses for one quickstart run ({@code rlhf4j quickstart [--out DIR] [--fast] [--seed
 * N] [--quiet] [--threads N]}).
 *
 * @param out folder that receives every artefact (created if missing; files of an earlier run are
 *     overwritten)
 * @param fast the CI-sized recipe ({@link QuickstartRecipe#fast()}) instead of the full one
 * @param seed seeds every random choice: corpus, weights, sampling, shuffling
 * @param quiet no progress bars and no logs, only the final one-line result
 * @param threads intra-op threads for PyTorch, 0 for the engine default
 * @param sparkMaster run the PPO rollouts on Spark ({@code local[N]}, {@code spark://HOST:PORT}),
 *     or null for the local generator
 */
public record QuickstartOptions(
    Path out, boolean fast, long seed, boolean quiet, int threads, String sparkMaster) {

  /** Options for a local run (no Spark). */
  public QuickstartOptions(Path out, boolean fast, long seed, boolean quiet, int threads) {
    this(out, fast, seed, quiet, threads, null);
  }

  /** Default output folder. */
  public static final Path DEFAULT_OUT = Path.of("quickstart-out");

  /** Validates. */
  public QuickstartOptions {
    Objects.requireNonNull(out, "out");
    if (threads < 0) {
      throw new IllegalArgumentException(
          "threads must be >= 0 (0 = engine default), got " + threads);
    }
  }

  /** The recipe these options select. */
  public QuickstartRecipe recipe() {
    return fast ? QuickstartRecipe.fast() : QuickstartRecipe.full();
  }
}
