package rlhf4j.distributed;

import java.io.Serializable;
import java.util.List;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * A {@link GenerationConfig} in a form Spark can ship to executors (the config records are not
 * {@link Serializable}); {@link #of} and {@link #toConfig} round-trip every field. The sampling
 * seed is carried but unused: executors seed each prompt from the run seed, the step and the
 * prompt's index.
 */
public record GenerationSpec(
    int maxNewTokens,
    boolean greedy,
    double temperature,
    int topK,
    double topP,
    double minP,
    double repetitionPenalty,
    long samplingSeed,
    long eosTokenId,
    long padTokenId,
    List<String> stopStrings,
    boolean useCache)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Copies the stop strings. */
  public GenerationSpec {
    stopStrings = List.copyOf(stopStrings);
  }

  /** The shippable form of {@code g}. */
  public static GenerationSpec of(GenerationConfig g) {
    SamplingConfig s = g.sampling();
    return new GenerationSpec(
        g.maxNewTokens(),
        s.greedy(),
        s.temperature(),
        s.topK(),
        s.topP(),
        s.minP(),
        s.repetitionPenalty(),
        s.seed(),
        g.eosTokenId(),
        g.padTokenId(),
        g.stopStrings(),
        g.useCache());
  }

  /** The generation config again (validated by its constructor). */
  public GenerationConfig toConfig() {
    SamplingConfig sampling =
        SamplingConfig.builder()
            .greedy(greedy)
            .temperature(temperature)
            .topK(topK)
            .topP(topP)
            .minP(minP)
            .repetitionPenalty(repetitionPenalty)
            .seed(samplingSeed)
            .build();
    return GenerationConfig.builder()
        .maxNewTokens(maxNewTokens)
        .sampling(sampling)
        .eosTokenId(eosTokenId)
        .padTokenId(padTokenId)
        .stopStrings(stopStrings)
        .useCache(useCache)
        .build();
  }
}
