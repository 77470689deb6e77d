package rlhf4j.rollout;

import java.util.List;
import java.util.Objects;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.Seeds;

/**
 * Rollouts from the policy in this process: a {@link Generator} per step whose sampler is seeded
 * with {@code Seeds.mix(seed, step, Seeds.SAMPLING)}, recording the value head's values so the
 * trainer can skip recomputing the old policy.
 *
 * <p>By default one random stream serves the whole batch. {@link #perPromptSeeds()} gives each
 * prompt a stream of its own ({@link PromptSeeds}), the scheme a distributed source uses; the two
 * sample different tokens, so a run keeps one scheme from start to end.
 */
public final class LocalRolloutSource implements RolloutSource {
  private final CausalLM model;
  private final GenerationConfig generation;
  private final ValueHead valueHead;
  private final Tokenizer tokenizer;
  private final long seed;
  private final boolean perPromptSeeds;

  /**
   * @param model the policy (with its adapters as they are switched)
   * @param generation generation settings; its sampling seed is replaced per step
   * @param valueHead records values when non-null
   * @param tokenizer decodes texts when non-null
   * @param seed the run seed
   */
  public LocalRolloutSource(
      CausalLM model,
      GenerationConfig generation,
      ValueHead valueHead,
      Tokenizer tokenizer,
      long seed) {
    this(model, generation, valueHead, tokenizer, seed, false);
  }

  private LocalRolloutSource(
      CausalLM model,
      GenerationConfig generation,
      ValueHead valueHead,
      Tokenizer tokenizer,
      long seed,
      boolean perPromptSeeds) {
    this.perPromptSeeds = perPromptSeeds;
    this.model = Objects.requireNonNull(model, "model");
    this.generation = Objects.requireNonNull(generation, "generation");
    this.valueHead = valueHead;
    this.tokenizer = tokenizer;
    this.seed = seed;
  }

  /** The generation settings (before the per-step seed). */
  public GenerationConfig generation() {
    return generation;
  }

  /** This source with a random stream per prompt ({@link PromptSeeds}) instead of per batch. */
  public LocalRolloutSource perPromptSeeds() {
    return new LocalRolloutSource(model, generation, valueHead, tokenizer, seed, true);
  }

  @Override
  public Rollout rollout(List<long[]> prompts, long step) {
    if (perPromptSeeds) {
      return new Generator(model, generation, valueHead, tokenizer, List.of())
          .generate(prompts, PromptSeeds.range(seed, step, 0, prompts.size()), null);
    }
    long samplingSeed = Seeds.mix(seed, step, Seeds.SAMPLING);
    GenerationConfig seeded =
        generation.toBuilder()
            .sampling(generation.sampling().toBuilder().seed(samplingSeed).build())
            .build();
    return new Generator(model, seeded, valueHead, tokenizer, List.of()).generate(prompts);
  }
}
