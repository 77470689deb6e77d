package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What the model needs from a decoder family: its parameters, how its blocks are built, its norm,
 * positions and embedding scale, and its HF defaults. The full family descriptor, which adds the HF
 * config.json mapping, HF class names and default LoRA targets, is {@code
 * rlhf4j.policy.family.Architecture}; implement that, not this (it is split out only so that this
 * package does not depend on the family package). Instances are stateless singletons found through
 * {@code rlhf4j.policy.family.Architectures}.
 */
public interface Family {
  /** A short name for messages, e.g. {@code gpt2}. */
  String name();

  /** The HF {@code model_type} values this family loads; the first is the default. */
  List<String> modelTypes();

  /**
   * Sets this family's documented defaults (those of its HF config class) on {@code b}; called by
   * {@link ModelConfig#builder(Family)}.
   */
  ModelConfig.Builder defaults(ModelConfig.Builder b);

  /**
   * Checks rules of this family that {@link ModelConfig} cannot know; throws {@link
   * IllegalArgumentException} naming the field, the rule and the value.
   */
  default void validate(ModelConfig c) {}

  /** The norm of every block and the final norm. */
  NormKind normKind();

  /** How positions are encoded. */
  PositionKind positionKind();

  /** Factor the token embeddings are multiplied by before the first block (1 for none). */
  default double embeddingScale(ModelConfig c) {
    return 1.0;
  }

  /** Every parameter of a model with config {@code c}, in a stable order. */
  List<ParamSpec> parameters(ModelConfig c);

  /** Builds the modules of block {@code layer} from parameters named as in {@link #parameters}. */
  Block block(ModelConfig c, int layer, Map<String, NDArray> p);

  /** Name of the token embedding. */
  String tokenEmbedding();

  /** Name of the learned position embedding, or null with rotary positions. */
  String positionEmbedding();

  /** Names of the final norm's weight, then its bias for LayerNorm. */
  List<String> finalNorm();

  /** Name of the untied LM head weight. */
  String lmHead();

  /** Prefix of the backbone in HF's *ForCausalLM state dict (e.g. {@code transformer.}). */
  String backbonePrefix();

  /** Checkpoint entries that are buffers, not parameters, and are skipped when loading. */
  Predicate<String> ignoredKeys();
}
