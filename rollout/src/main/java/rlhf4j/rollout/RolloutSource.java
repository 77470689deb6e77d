package rlhf4j.rollout;

import java.util.List;
import java.util.Map;

/**
 * Where a trainer gets its rollouts: the local {@link Generator} ({@link LocalRolloutSource}), or a
 * remote or distributed source standing in for it without any change to the trainer. One method, so
 * a lambda fits.
 *
 * <p>A source derives its randomness from the run seed and the {@code step} it is given, never from
 * how many calls it has served or how the prompts are split, so a resumed run samples the same
 * tokens as an uninterrupted one.
 *
 * <p>A trainer may reuse a rollout's {@link Rollout#logProbs() log-probs} and {@link
 * Rollout#values() values} as the old policy's: a source that fills {@code values} promises that
 * both come from the current policy (no dropout) under the training temperature. A source that
 * cannot promise that leaves {@code values} null, and the trainer recomputes both. Likewise a
 * source that fills {@link Rollout#refLogProbs() refLogProbs} ran the policy and the reference side
 * by side on the current adapter (no dropout, the training temperature, the reference being the
 * base with adapters off): the critic-free trainers then take both the old and the reference
 * log-probs from the rollout and run no pass of their own.
 */
@FunctionalInterface
public interface RolloutSource {
  /**
   * Responses to {@code prompts} from the current policy.
   *
   * @param prompts token-id prompts, in order; the rollout's rows follow it
   * @param step the trainer's step (completed steps so far), the counter that seeds the sampler
   */
  Rollout rollout(List<long[]> prompts, long step);

  /**
   * Numbers about the last {@link #rollout} call for the trainer's step stats (e.g. a distributed
   * source's bytes on the wire and worker count), keyed like the other stats ({@code
   * "distributed/broadcast_bytes"}); empty by default.
   */
  default Map<String, Double> lastRolloutStats() {
    return Map.of();
  }
}
