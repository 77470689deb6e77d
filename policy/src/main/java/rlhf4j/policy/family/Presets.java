package rlhf4j.policy.family;

import java.util.LinkedHashMap;
import java.util.Map;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;

/**
 * Named model shapes for tests, examples and benchmarks; weights come from {@link
 * CausalLM#random(ModelConfig, long)} with a seed.
 */
public final class Presets {
  private static final Map<String, ModelConfig> PRESETS = new LinkedHashMap<>();

  static {
    // GPT-2 shapes
    PRESETS.put("nano", gpt2(512, 32, 2, 2, 128));
    PRESETS.put("tiny", gpt2(1024, 64, 2, 4, 256));
    // the PyTorch yardstick's "tiny" (reference_ppo.py): EOS is the last id
    PRESETS.put("mini", gpt2(512, 256, 4, 4, 256).withSpecialTokens(511, 511, -1));
    // GPT-2 small (124M), with GPT-2's <|endoftext|> = 50256
    PRESETS.put("small", gpt2(50257, 768, 12, 12, 1024).withSpecialTokens(50256, 50256, -1));
    // the other families at tiny size
    PRESETS.put(
        "tiny-llama",
        ModelConfig.builder(Architectures.LLAMA)
            .vocabSize(1024)
            .hiddenSize(64)
            .numLayers(2)
            .numHeads(4)
            .numKvHeads(2)
            .intermediateSize(128)
            .maxPositions(256)
            .build());
    PRESETS.put(
        "tiny-neox",
        ModelConfig.builder(Architectures.GPT_NEOX)
            .vocabSize(1024)
            .hiddenSize(64)
            .numLayers(2)
            .numHeads(4)
            .intermediateSize(256)
            .maxPositions(256)
            .eosTokenId(0)
            .build());
  }

  private Presets() {}

  /**
   * A GPT-2-shaped config (gelu_new, tied embeddings, biases, MLP width 4·d, head width d/heads),
   * BOS and EOS 0, no PAD; change the special ids with {@link ModelConfig#toBuilder()}.
   */
  public static ModelConfig gpt2(int vocab, int d, int layers, int heads, int positions) {
    return ModelConfig.builder(Architectures.GPT2)
        .vocabSize(vocab)
        .hiddenSize(d)
        .numLayers(layers)
        .numHeads(heads)
        .maxPositions(positions)
        .bosTokenId(0)
        .eosTokenId(0)
        .padTokenId(-1)
        .build();
  }

  /** The config of preset {@code name}. */
  public static ModelConfig config(String name) {
    ModelConfig c = PRESETS.get(name);
    if (c == null) {
      throw new IllegalArgumentException(
          "unknown preset '" + name + "'; choose one of " + PRESETS.keySet());
    }
    return c;
  }

  /** Preset names. */
  public static Iterable<String> names() {
    return PRESETS.keySet();
  }

  /** A seeded random model of preset {@code name}. */
  public static CausalLM create(String name, long seed) {
    return CausalLM.random(config(name), seed);
  }
}
