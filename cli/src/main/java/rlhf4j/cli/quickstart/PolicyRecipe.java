package rlhf4j.cli.quickstart;

import java.util.Objects;
import rlhf4j.ppo.RunConfig;

/**
 * The recipe of one critic-free quickstart algorithm (GRPO, RLOO or DPO): its trainer config, the
 * batching, and the number of steps. The run seed inside {@code run} is ignored: the phase derives
 * it from {@link QuickstartOptions#seed()}.
 *
 * @param config the algorithm's config ({@code GrpoConfig}, {@code RlooConfig}, {@code DpoConfig})
 * @param run prompts (or pairs) per step, rows per mini-batch, gradient clip
 * @param steps trainer steps
 * @param <C> the config type
 */
public record PolicyRecipe<C>(C config, RunConfig run, int steps) {

  /** Validates. */
  public PolicyRecipe {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(run, "run");
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
  }

  /** The same recipe with the run seeded by {@code seed}. */
  PolicyRecipe<C> seeded(long seed) {
    return new PolicyRecipe<>(
        config,
        RunConfig.builder()
            .batchSize(run.batchSize())
            .miniBatchSize(run.miniBatchSize())
            .maxGradNorm(run.maxGradNorm().isPresent() ? run.maxGradNorm().getAsDouble() : null)
            .seed(seed)
            .build(),
        steps);
  }
}
