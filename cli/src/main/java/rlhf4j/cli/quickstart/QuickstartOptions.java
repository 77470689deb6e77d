package rlhf4j.cli.quickstart;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a user chooses for one quickstart run ({@code rlhf4j quickstart [--out DIR] [--fast] [--seed
 * N] [--quiet] [--threads N] [--algorithm ppo|grpo|rloo|dpo]}).
 *
 * @param out folder that receives every artefact (created if missing; files of an earlier run are
 *     overwritten)
 * @param fast the CI-sized recipe ({@link QuickstartRecipe#fast()}) instead of the full one
 * @param seed seeds every random choice: corpus, weights, sampling, shuffling
 * @param quiet no progress bars and no logs, only the final one-line result
 * @param threads intra-op threads for PyTorch, 0 for the engine default
 * @param algorithm the policy-optimisation step (phase 5); PPO unless chosen
 */
public record QuickstartOptions(
    Path out, boolean fast, long seed, boolean quiet, int threads, QuickstartAlgorithm algorithm) {

  /** Default output folder. */
  public static final Path DEFAULT_OUT = Path.of("quickstart-out");

  /** Validates. */
  public QuickstartOptions {
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(algorithm, "algorithm");
    if (threads < 0) {
      throw new IllegalArgumentException(
          "threads must be >= 0 (0 = engine default), got " + threads);
    }
  }

  /** A PPO run. */
  public QuickstartOptions(Path out, boolean fast, long seed, boolean quiet, int threads) {
    this(out, fast, seed, quiet, threads, QuickstartAlgorithm.PPO);
  }

  /** The same options with another algorithm. */
  public QuickstartOptions withAlgorithm(QuickstartAlgorithm algorithm) {
    return new QuickstartOptions(out, fast, seed, quiet, threads, algorithm);
  }

  /** The critic-free algorithms' recipes these options select. */
  public AlgorithmRecipes algorithmRecipes() {
    return AlgorithmRecipes.of(fast);
  }

  /** The recipe these options select. */
  public QuickstartRecipe recipe() {
    return fast ? QuickstartRecipe.fast() : QuickstartRecipe.full();
  }
}
