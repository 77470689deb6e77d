package rlhf4j.policy.family;

import java.util.List;
import java.util.function.Predicate;
import rlhf4j.policy.model.PositionKind;

/**
 * The state-dict names every Llama-derived HF family shares ({@code model.embed_tokens}, {@code
 * model.norm}, {@code lm_head}, rotary positions with no stored embedding): one place for them
 * instead of a copy per family. A family overrides only what differs.
 */
interface LlamaStyleNames extends Architecture {
  @Override
  default String tokenEmbedding() {
    return "model.embed_tokens.weight";
  }

  @Override
  default String positionEmbedding() {
    return null;
  }

  /** Rotary positions, whose tables are buffers, not parameters ({@link #ignoredKeys()}). */
  @Override
  default PositionKind positionKind() {
    return PositionKind.ROTARY;
  }

  @Override
  default List<String> finalNorm() {
    return List.of("model.norm.weight");
  }

  @Override
  default String lmHead() {
    return "lm_head.weight";
  }

  @Override
  default String backbonePrefix() {
    return "model.";
  }

  @Override
  default Predicate<String> ignoredKeys() {
    return k -> k.endsWith(".rotary_emb.inv_freq");
  }
}
