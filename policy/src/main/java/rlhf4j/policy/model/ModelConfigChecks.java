package rlhf4j.policy.model;

/**
 * The rules {@link ModelConfig} checks on its own fields (the family's come from {@link
 * Family#validate}); each message names the field, the rule and the value.
 */
final class ModelConfigChecks {
  private ModelConfigChecks() {}

  /** Sizes, rotary and sliding settings, norms and attention numbers. */
  static void fields(ModelConfig c) {
    positive("vocabSize", c.vocabSize());
    positive("hiddenSize", c.hiddenSize());
    positive("numLayers", c.numLayers());
    positive("numHeads", c.numHeads());
    positive("numKvHeads", c.numKvHeads());
    positive("headDim", c.headDim());
    positive("intermediateSize", c.intermediateSize());
    positive("maxPositions", c.maxPositions());
    if (c.numHeads() % c.numKvHeads() != 0) {
      throw new IllegalArgumentException(
          "numHeads ("
              + c.numHeads()
              + ") must be a multiple of numKvHeads ("
              + c.numKvHeads()
              + ") for grouped-query attention");
    }
    if (c.family().positionKind() == PositionKind.ROTARY
        && !(c.ropeTheta() > 0 && c.ropeTheta() < 1e300)) {
      throw new IllegalArgumentException(
          "ropeTheta (rope_theta) must be a finite number > 0, got " + c.ropeTheta());
    }
    if (!c.layerTypes().isEmpty() && c.layerTypes().size() != c.numLayers()) {
      throw new IllegalArgumentException(
          "layerTypes must be empty or have one entry per layer ("
              + c.numLayers()
              + "), got "
              + c.layerTypes().size());
    }
    if (c.slidingWindow() < 0) {
      throw new IllegalArgumentException(
          "slidingWindow must be >= 0 (0 = none), got " + c.slidingWindow());
    }
    if (c.layerTypes().contains(AttentionType.SLIDING) && c.slidingWindow() == 0) {
      throw new IllegalArgumentException(
          "layerTypes has sliding_attention layers, so slidingWindow must be > 0, got 0");
    }
    if (!(c.slidingRopeTheta() >= 0)) {
      throw new IllegalArgumentException(
          "slidingRopeTheta must be >= 0 (0 = ropeTheta), got " + c.slidingRopeTheta());
    }
    nonNegative("queryPreAttnScalar (query_pre_attn_scalar; 0 = headDim)", c.queryPreAttnScalar());
    nonNegative("attnLogitSoftcap (attn_logit_softcapping; 0 = none)", c.attnLogitSoftcap());
    nonNegative("finalLogitSoftcap (final_logit_softcapping; 0 = none)", c.finalLogitSoftcap());
    if (!(c.normEps() > 0)) {
      throw new IllegalArgumentException("normEps must be > 0, got " + c.normEps());
    }
    if (!(c.rotaryPct() > 0 && c.rotaryPct() <= 1)) {
      throw new IllegalArgumentException("rotaryPct must be in (0, 1], got " + c.rotaryPct());
    }
    if (c.family().positionKind() == PositionKind.ROTARY && c.rotaryDims() % 2 != 0) {
      throw new IllegalArgumentException(
          "rotary dimensions (headDim x rotaryPct = " + c.rotaryDims() + ") must be even");
    }
  }

  /** LongRoPE's factor lists have one entry per rotary frequency. */
  static void longRope(ModelConfig c) {
    RopeScaling r = c.ropeScaling();
    if (r != null && r.type() == RopeScaling.Type.LONGROPE) {
      r.requireFactorsFor(c.rotaryDims());
    }
  }

  private static void positive(String field, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException(field + " must be > 0, got " + v);
    }
  }

  private static void nonNegative(String field, double v) {
    if (!(v >= 0 && v < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException(field + " must be a finite number >= 0, got " + v);
    }
  }
}
