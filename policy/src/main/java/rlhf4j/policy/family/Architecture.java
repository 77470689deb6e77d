package rlhf4j.policy.family;

import com.google.gson.JsonObject;
import java.util.List;
import rlhf4j.policy.model.Family;
import rlhf4j.policy.model.ModelConfig;

/**
 * One decoder family, everything about it in one place: its parameter names and shapes and how its
 * blocks are built ({@link Family}, what the model reads), its HF defaults, how its HF {@code
 * config.json} maps to {@link ModelConfig} and back, its HF class names, its default LoRA targets
 * and its activation-memory factors.
 *
 * <p><b>Adding a family</b> means one new class implementing this interface plus its tests, and one
 * entry in {@link Architectures}. The class implements:
 *
 * <ul>
 *   <li>{@link #name()}, {@link #modelTypes()} (the HF {@code model_type} values it loads, first =
 *       default) and {@link #defaults} (the HF config class's defaults, cited at each value);
 *   <li>{@link #normKind()}, {@link #positionKind()}, optionally {@link #embeddingScale} and {@link
 *       #validate} (rules the generic config checks cannot know);
 *   <li>{@link #parameters} (HF state-dict names, rlhf4j shapes, init), {@link #block} (norms,
 *       attention layout, MLP, residual layout from {@link ModelConfig#residual()}), {@link
 *       #tokenEmbedding()}, {@link #positionEmbedding()}, {@link #finalNorm()}, {@link #lmHead()},
 *       {@link #backbonePrefix()} and {@link #ignoredKeys()};
 *   <li>{@link #readHfConfig} and {@link #writeHfConfig} (the only place besides {@code
 *       rlhf4j.policy.hf} that knows HF field names), {@link #causalLmClass} and {@link
 *       #sequenceClassificationClass};
 *   <li>{@link #defaultLoraTargets()} (PEFT's {@code
 *       TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING}) and {@link #activationFactors()}.
 * </ul>
 *
 * Its tests: HF parity (golden logits from transformers), config.json round trip, and the registry
 * entry ({@code ArchitecturesTest}). Implementations are stateless singletons.
 */
public interface Architecture extends Family {
  /**
   * The config described by an HF {@code config.json} whose {@code model_type} is {@code
   * modelType}; special token ids are left to the caller ({@code HfConfig} reads them from
   * config.json or generation_config.json).
   *
   * @throws IllegalArgumentException if a required field is missing or a value is not supported
   */
  ModelConfig.Builder readHfConfig(String modelType, JsonObject json);

  /**
   * Writes the family's fields of {@code c} into {@code json}, starting with {@code architectures};
   * {@code model_type}, {@code vocab_size}, the special token ids and {@code torch_dtype} are
   * written by the caller.
   */
  void writeHfConfig(ModelConfig c, JsonObject json);

  /** The transformers class of a causal LM with {@code model_type} {@code modelType}. */
  String causalLmClass(String modelType);

  /** The transformers class of a sequence-classification model (a reward model). */
  String sequenceClassificationClass(String modelType);

  /** The modules LoRA adapts when none are named, as PEFT picks them for this family. */
  List<String> defaultLoraTargets();

  /** How many activations a pass keeps per block, for memory estimates. */
  ActivationFactors activationFactors();
}
