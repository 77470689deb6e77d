package rlhf4j.rollout.sampling;

/**
 * How the next token is chosen. Defaults (see {@link #builder()}) are plain sampling from {@code
 * softmax(logits)}: the PPO setting recommended by TRL ({@code top_k=0, top_p=1.0, do_sample=True},
 * rlhf-anchors §1.6, §6 row 3).
 *
 * @param greedy argmax instead of sampling (forced to true when {@code temperature == 0}); only the
 *     repetition penalty applies, as in HF greedy search
 * @param temperature T &gt;= 0; logits are divided by T before sampling and for {@code
 *     trainLogProbs}. 0 means greedy, and then {@code trainLogProbs} use T = 1
 * @param topK keep the k most likely tokens; 0 = off
 * @param topP keep the smallest most-likely set with cumulative probability &gt;= topP; 1 = off
 * @param minP keep tokens with probability &gt;= minP * pmax; 0 = off
 * @param repetitionPenalty HF repetition penalty for tokens already in the row's sequence; 1 = off
 * @param seed seed of the sampler's own random stream
 */
public record SamplingConfig(
    boolean greedy,
    double temperature,
    int topK,
    double topP,
    double minP,
    double repetitionPenalty,
    long seed) {

  /** Default temperature: 1.0 (TRL PPO). */
  public static final double DEFAULT_TEMPERATURE = 1.0;

  /** Validates every field; the message names the field, the rule and the value. */
  public SamplingConfig {
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException(
          "temperature must be finite and >= 0 (0 = greedy), got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
    }
    if (!(topP >= 0 && topP <= 1)) {
      throw new IllegalArgumentException("topP must be in [0, 1] (1 = off), got " + topP);
    }
    if (!(minP >= 0 && minP <= 1)) {
      throw new IllegalArgumentException("minP must be in [0, 1] (0 = off), got " + minP);
    }
    if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
      throw new IllegalArgumentException(
          "repetitionPenalty must be finite and > 0 (1 = off), got " + repetitionPenalty);
    }
    greedy = greedy || temperature == 0;
  }

  /** Plain sampling at T = 1 with the given seed. */
  public static SamplingConfig ofSeed(long seed) {
    return builder().seed(seed).build();
  }

  /**
   * True when the tokens are not drawn from {@code softmax(logits / T)}, so the log-probs PPO
   * records and recomputes ({@code log_softmax(logits / T)}) are not those of the sampling
   * distribution and the KL estimate is biased (it can go negative; rlhf-anchors §6 rows 3, 19,
   * 21). True for top-k, top-p &lt; 1, min-p, a repetition penalty and greedy decoding. The caller
   * should warn.
   */
  public boolean biasesKl() {
    return greedy || topK > 0 || topP < 1 || minP > 0 || repetitionPenalty != 1;
  }

  /** The temperature used for {@code trainLogProbs}: T, or 1 when T = 0 (greedy). */
  public double logProbTemperature() {
    return temperature > 0 ? temperature : 1.0;
  }

  /** A builder holding these values. */
  public Builder toBuilder() {
    return new Builder()
        .greedy(greedy)
        .temperature(temperature)
        .topK(topK)
        .topP(topP)
        .minP(minP)
        .repetitionPenalty(repetitionPenalty)
        .seed(seed);
  }

  /** A builder starting from the defaults: sampling, T = 1, every filter off, seed 0. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder for {@link SamplingConfig}; validation happens in {@link #build()}. */
  public static final class Builder {
    private boolean greedy = false;
    private double temperature = DEFAULT_TEMPERATURE;
    private int topK = 0;
    private double topP = 1.0;
    private double minP = 0.0;
    private double repetitionPenalty = 1.0;
    private long seed = 0L;

    private Builder() {}

    /** Argmax decoding (default false). */
    public Builder greedy(boolean greedy) {
      this.greedy = greedy;
      return this;
    }

    /** Temperature T (default 1.0; 0 = greedy). */
    public Builder temperature(double temperature) {
      this.temperature = temperature;
      return this;
    }

    /** Top-k (default 0 = off). */
    public Builder topK(int topK) {
      this.topK = topK;
      return this;
    }

    /** Top-p (default 1.0 = off). */
    public Builder topP(double topP) {
      this.topP = topP;
      return this;
    }

    /** Min-p (default 0.0 = off). */
    public Builder minP(double minP) {
      this.minP = minP;
      return this;
    }

    /** Repetition penalty (default 1.0 = off). */
    public Builder repetitionPenalty(double repetitionPenalty) {
      this.repetitionPenalty = repetitionPenalty;
      return this;
    }

    /** Seed of the sampler's random stream (default 0). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Validates and builds. */
    public SamplingConfig build() {
      return new SamplingConfig(greedy, temperature, topK, topP, minP, repetitionPenalty, seed);
    }
  }
}
