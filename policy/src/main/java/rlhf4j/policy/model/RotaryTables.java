package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A model's rotary frequencies and how one forward picks them: the global table (with rope
 * scaling), the sliding layers' own table (Gemma 3's local base) and, with LongRoPE, the long table
 * and the cos/sin attention factor.
 *
 * <p>LongRoPE follows transformers: each forward uses the long factors when {@code
 * max(position_ids) + 1}, over the whole batch, exceeds {@code original_max_position_embeddings},
 * else the short ones (modeling_rope_utils.py {@code dynamic_rope_update} → {@code
 * longrope_frequency_update}: {@code seq_len = torch.max(position_ids) + 1}; {@code
 * _compute_longrope_parameters}: {@code if seq_len and seq_len > original_max_position_embeddings:
 * ext_factors = long_factor}). Keys already cached were rotated with the factors of the forward
 * that made them, so generation recomputes the cache once when the sequence first outgrows the
 * original length ({@link #mustRecompute}).
 */
final class RotaryTables {
  private final float[] invFreq; // null without rotary
  private final float[] longInvFreq; // LongRoPE's long table, else null
  private final float[] slidingInvFreq; // sliding layers' own RoPE base, else null
  private final double attentionFactor; // cos/sin multiplier (LongRoPE), else 1
  private final int originalMaxPositions; // LongRoPE's switch point, else 0

  RotaryTables(ModelConfig config) {
    RopeScaling scaling = config.ropeScaling();
    boolean rotary = config.positionKind() == PositionKind.ROTARY;
    boolean longRope = rotary && scaling != null && scaling.type() == RopeScaling.Type.LONGROPE;
    int dims = config.rotaryDims();
    this.invFreq = rotary ? Rope.inverseFrequencies(dims, config.ropeTheta(), scaling) : null;
    this.longInvFreq =
        longRope ? Rope.longRopeFrequencies(dims, config.ropeTheta(), scaling, true) : null;
    this.attentionFactor = longRope ? scaling.longRopeAttentionFactor(config.maxPositions()) : 1.0;
    this.originalMaxPositions = longRope ? scaling.originalMaxPositions() : 0;
    this.slidingInvFreq =
        rotary && config.slidingRopeTheta() > 0 && config.hasSlidingLayers()
            ? Rope.inverseFrequencies(dims, config.slidingRopeTheta(), null)
            : null;
  }

  /** {cos, sin} of the global table for {@code positions} (B, T), each (B, 1, T, R); or null. */
  NDArray[] global(NDManager m, NDArray positions) {
    if (invFreq == null) {
      return null;
    }
    float[] table = invFreq;
    if (longInvFreq != null && positions.max().getLong() + 1 > originalMaxPositions) {
      table = longInvFreq;
    }
    return Rope.cosSin(m, positions, table, attentionFactor);
  }

  /** {cos, sin} of the sliding layers' own table, or null when they use the global one. */
  NDArray[] sliding(NDManager m, NDArray positions) {
    return slidingInvFreq == null ? null : Rope.cosSin(m, positions, slidingInvFreq);
  }

  /**
   * Whether a cached forward of {@code t} new positions after {@code cached} ones must drop the
   * cache and recompute the whole sequence: LongRoPE only, when the sequence first grows past the
   * original length, as transformers' generation does (modeling_phi3.py {@code
   * Phi3ForCausalLM.prepare_inputs_for_generation}: {@code input_ids.shape[1] >=
   * original_max_position_embeddings + 1} and {@code past_length <=
   * original_max_position_embeddings} → {@code past_key_values = None}).
   */
  boolean mustRecompute(long cached, long t) {
    return longInvFreq != null
        && cached > 0
        && cached + t >= originalMaxPositions + 1L
        && cached <= originalMaxPositions;
  }
}
