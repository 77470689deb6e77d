package rlhf4j.rollout;

import java.util.List;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * How to generate: length, sampling, stopping.
 *
 * @param maxNewTokens tokens generated per row at most (HF max_new_tokens)
 * @param sampling sampler settings (temperature, top-k, top-p, seed, ...)
 * @param eosTokenId a row ends when it samples this id (kept in the response); -1 for none
 * @param padTokenId id fed and reported for finished rows and prompt padding
 * @param stopStrings a row ends once its decoded response contains one (needs a tokenizer)
 * @param useCache reuse keys/values (prefill once, then one token per step); false recomputes the
 *     whole sequence every step (slow, for checks and benchmarks)
 */
public record GenerationConfig(
    int maxNewTokens,
    SamplingConfig sampling,
    long eosTokenId,
    long padTokenId,
    List<String> stopStrings,
    boolean useCache) {

  public GenerationConfig {
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
    }
    if (sampling == null) {
      throw new IllegalArgumentException("sampling must not be null");
    }
    if (padTokenId < 0) {
      throw new IllegalArgumentException(
          "padTokenId must be >= 0, got " + padTokenId + " (use the EOS id if there is no pad)");
    }
    stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
    for (String s : stopStrings) {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("stopStrings must not contain an empty string");
      }
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .maxNewTokens(maxNewTokens)
        .sampling(sampling)
        .eosTokenId(eosTokenId)
        .padTokenId(padTokenId)
        .stopStrings(stopStrings)
        .useCache(useCache);
  }

  /** Builder; defaults: 32 new tokens, temperature 1 sampling with seed 0, no EOS, pad 0, cache. */
  public static final class Builder {
    private int maxNewTokens = 32;
    private SamplingConfig sampling = SamplingConfig.builder().build();
    private long eosTokenId = -1;
    private long padTokenId = 0;
    private List<String> stopStrings = List.of();
    private boolean useCache = true;

    public Builder maxNewTokens(int v) {
      maxNewTokens = v;
      return this;
    }

    public Builder sampling(SamplingConfig v) {
      sampling = v;
      return this;
    }

    public Builder eosTokenId(long v) {
      eosTokenId = v;
      return this;
    }

    public Builder padTokenId(long v) {
      padTokenId = v;
      return this;
    }

    public Builder stopStrings(List<String> v) {
      stopStrings = v;
      return this;
    }

    public Builder useCache(boolean v) {
      useCache = v;
      return this;
    }

    public GenerationConfig build() {
      return new GenerationConfig(
          maxNewTokens, sampling, eosTokenId, padTokenId, stopStrings, useCache);
    }
  }
}
