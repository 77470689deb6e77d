package rlhf4j.policy.family;

import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.ResidualLayout;
import rlhf4j.policy.model.RopeScaling;

/**
 * The rules several families' {@code validate} share: each refuses a config that the family's HF
 * model (and so its config.json) cannot express, naming the field, the rule and the value.
 */
final class FamilyRules {
  private FamilyRules() {}

  /**
   * Rejects a config that slides in a family whose HF model cannot (the window would be dropped).
   */
  static void requireNoSliding(ModelConfig c) {
    if (c.hasSlidingLayers()) {
      throw new IllegalArgumentException(
          c.modelType()
              + " has no sliding-window attention: layerTypes must be all full_attention, got "
              + c.layerTypes());
    }
  }

  /** Rejects a residual layout the family's HF model does not have (it would compute another). */
  static void requireResidual(ModelConfig c, ResidualLayout... allowed) {
    if (!java.util.Arrays.asList(allowed).contains(c.residual())) {
      throw new IllegalArgumentException(
          c.modelType()
              + " blocks are "
              + java.util.Arrays.toString(allowed)
              + ": residual must be one of them, got "
              + c.residual());
    }
  }

  /**
   * Rejects Gemma's attention fields in a family whose HF model has none ({@code
   * query_pre_attn_scalar}, {@code attn_logit_softcapping}, {@code final_logit_softcapping}): its
   * config.json would not carry them and transformers would compute without them.
   */
  static void requirePlainAttention(ModelConfig c) {
    if (c.queryPreAttnScalar() != 0 || c.attnLogitSoftcap() != 0 || c.finalLogitSoftcap() != 0) {
      throw new IllegalArgumentException(
          c.modelType()
              + " has no query_pre_attn_scalar or logit soft-capping: queryPreAttnScalar,"
              + " attnLogitSoftcap and finalLogitSoftcap must be 0, got "
              + c.queryPreAttnScalar()
              + ", "
              + c.attnLogitSoftcap()
              + " and "
              + c.finalLogitSoftcap());
    }
  }

  /** Rejects LongRoPE outside Phi-3 (the only family whose generation rlhf4j matches with it). */
  static void requireNoLongRope(ModelConfig c) {
    if (c.ropeScaling() != null && c.ropeScaling().type() == RopeScaling.Type.LONGROPE) {
      throw new IllegalArgumentException(
          "rope_scaling type 'longrope' is supported for phi3 only, got it for " + c.modelType());
    }
  }

  /** Rejects a separate RoPE base for sliding layers in a family that has none (Gemma 3 has). */
  static void requireOneRopeBase(ModelConfig c) {
    if (c.slidingRopeTheta() != 0) {
      throw new IllegalArgumentException(
          c.modelType()
              + " uses one RoPE base for every layer: slidingRopeTheta must be 0, got "
              + c.slidingRopeTheta());
    }
  }

  /** Rejects separate q/k/v and o_proj biases in a family with one {@code attention_bias}. */
  static void requireOneAttentionBias(ModelConfig c) {
    if (c.qkvBias() != c.attnOutBias()) {
      throw new IllegalArgumentException(
          c.modelType()
              + " has one attention_bias for q/k/v and o_proj: qkvBias and attnOutBias must be"
              + " equal, got "
              + c.qkvBias()
              + " and "
              + c.attnOutBias());
    }
  }

  /** Rejects MLP biases in a family whose MLP has none. */
  static void requireNoMlpBias(ModelConfig c) {
    if (c.mlpBias()) {
      throw new IllegalArgumentException(
          c.modelType() + "'s MLP has no biases: mlpBias must be false");
    }
  }

  /** Rejects partial rotary in a family that rotates the whole head. */
  static void requireFullRotary(ModelConfig c) {
    if (c.rotaryPct() != 1.0) {
      throw new IllegalArgumentException(
          c.modelType() + " rotates the whole head: rotaryPct must be 1, got " + c.rotaryPct());
    }
  }
}
