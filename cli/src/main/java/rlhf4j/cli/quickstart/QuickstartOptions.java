package rlhf4j.cli.quickstart;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a user chooses for one quickstart run ({@code rlhf4j quickstart [--out DIR] [--fast] [--seed
 * N] [--quiet] [--threads N] [--algorithm ppo|grpo|rloo|dpo] [--spark-master URL]}).
 *
 * @param out folder that receives every artefact (created if missing; files of an earlier run are
 *     overwritten)
 * @param fast the CI-sized recipe ({@link QuickstartRecipe#fast()}) instead of the full one
 * @param seed seeds every random choice: corpus, weights, sampling, shuffling
 * @param quiet no progress bars and no logs, only the final one-line result
 * @param threads intra-op threads for PyTorch, 0 for the engine default
 * @param algorithm the policy-optimisation step (phase 5); PPO unless chosen
 * @param sparkMaster run the rollouts of PPO, GRPO or RLOO on Spark ({@code local[N]}, {@code
 *     spark://HOST:PORT}), or null for the local generator; DPO has no rollouts and refuses it
 */
public record QuickstartOptions(
    Path out,
    boolean fast,
    long seed,
    boolean quiet,
    int threads,
    QuickstartAlgorithm algorithm,
    String sparkMaster) {

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
    if (sparkMaster != null && algorithm == QuickstartAlgorithm.DPO) {
      throw new IllegalArgumentException(
          "--spark-master runs the rollouts of PPO, GRPO and RLOO on Spark, but --algorithm dpo"
              + " trains on fixed preference pairs and has no rollouts: drop --spark-master, or"
              + " choose --algorithm ppo, grpo or rloo");
    }
  }

  /** A local PPO run. */
  public QuickstartOptions(Path out, boolean fast, long seed, boolean quiet, int threads) {
    this(out, fast, seed, quiet, threads, QuickstartAlgorithm.PPO, null);
  }

  /** A local run of {@code algorithm}. */
  public QuickstartOptions(
      Path out,
      boolean fast,
      long seed,
      boolean quiet,
      int threads,
      QuickstartAlgorithm algorithm) {
    this(out, fast, seed, quiet, threads, algorithm, null);
  }

  /** A PPO run with its rollouts on Spark ({@code sparkMaster} null: local). */
  public QuickstartOptions(
      Path out, boolean fast, long seed, boolean quiet, int threads, String sparkMaster) {
    this(out, fast, seed, quiet, threads, QuickstartAlgorithm.PPO, sparkMaster);
  }

  /** The same options with another algorithm. */
  public QuickstartOptions withAlgorithm(QuickstartAlgorithm algorithm) {
    return new QuickstartOptions(out, fast, seed, quiet, threads, algorithm, sparkMaster);
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
