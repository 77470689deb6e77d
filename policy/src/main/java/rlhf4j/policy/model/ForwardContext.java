package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;

/**
 * What every layer of one forward pass shares.
 *
 * @param attentionBias additive mask, 0 where a query may attend and a large negative elsewhere //
 *     (B, 1, T, S)
 * @param slidingBias the same with the sliding window applied, null when no layer slides // (B, 1,
 *     T, S)
 * @param slidingCos rotary cosines of the sliding layers when they use their own base (Gemma 3's
 *     local RoPE), else null // (B, 1, T, R)
 * @param slidingSin their sines, or null
 * @param cos rotary cosines, null for GPT-2 // (B, 1, T, R)
 * @param sin rotary sines // (B, 1, T, R)
 * @param cache key/value cache or null
 * @param training true while training (enables adapter dropout)
 */
public record ForwardContext(
    NDArray attentionBias,
    NDArray slidingBias,
    NDArray slidingCos,
    NDArray slidingSin,
    NDArray cos,
    NDArray sin,
    KvCache cache,
    boolean training) {}
