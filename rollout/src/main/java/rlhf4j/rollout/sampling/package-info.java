/**
 * Exact, seeded next-token sampling for batched generation, independent of any model.
 *
 * <p>Input is the last-position logits of a batch, shape {@code (B, V)} float32; output is one
 * token id per row plus two log-probs: {@code trainLogProbs} under {@code log_softmax(logits / T)}
 * (what PPO recomputes and trains on) and {@code filteredLogProbs} under the distribution actually
 * sampled from (after repetition penalty, top-k, top-p, min-p).
 *
 * <p>Shape legend: B rows (sequences), V vocabulary.
 */
package rlhf4j.rollout.sampling;
