package rlhf4j.rollout;

import java.util.List;

/**
 * The result of generating from a batch of prompts. Responses are unpadded: each ends at its EOS
 * (kept), at the token that completed a stop string, or at maxNewTokens.
 *
 * @param queries prompt ids per row, unpadded
 * @param responses generated ids per row
 * @param logProbs per row, the log-prob of each response token under log_softmax(logits / T), the
 *     distribution PPO trains (no top-k/top-p filtering)
 * @param values per row, the value head's estimate at each response token's position (the state
 *     before emitting it), or null when no value head was given
 * @param texts decoded responses, or null without a tokenizer
 * @param endedWithEos per row, whether the response ends with EOS
 * @param refLogProbs per row, the reference policy's log-prob of each response token under the same
 *     temperature, when the source computed them (a distributed source does, beside the policy);
 *     null otherwise, and the trainer runs the reference itself
 * @param scores per row, the reward's score, when the source scored the rollout where it was
 *     generated; null otherwise, and the trainer calls its reward function
 * @param rewardsPerFunc (N, K) the scores of each of the critic-free trainers' K reward functions
 *     (TRL's {@code rewards_per_func}; NaN where a function gave none), when the source scored
 *     where it generated; null otherwise, and the trainer calls its reward functions
 */
public record Rollout(
    List<long[]> queries,
    List<long[]> responses,
    List<float[]> logProbs,
    List<float[]> values,
    List<String> texts,
    boolean[] endedWithEos,
    List<float[]> refLogProbs,
    float[] scores,
    double[][] rewardsPerFunc) {

  /** A rollout as a generator gives it: no reference log-probs, no scores. */
  public Rollout(
      List<long[]> queries,
      List<long[]> responses,
      List<float[]> logProbs,
      List<float[]> values,
      List<String> texts,
      boolean[] endedWithEos) {
    this(queries, responses, logProbs, values, texts, endedWithEos, null, null, null);
  }

  /** A rollout scored with one reward where it was generated (PPO's): no per-function table. */
  public Rollout(
      List<long[]> queries,
      List<long[]> responses,
      List<float[]> logProbs,
      List<float[]> values,
      List<String> texts,
      boolean[] endedWithEos,
      List<float[]> refLogProbs,
      float[] scores) {
    this(queries, responses, logProbs, values, texts, endedWithEos, refLogProbs, scores, null);
  }

  /** Number of rows. */
  public int size() {
    return queries.size();
  }

  /** Total response tokens. */
  public long responseTokens() {
    long n = 0;
    for (long[] r : responses) {
      n += r.length;
    }
    return n;
  }
}
