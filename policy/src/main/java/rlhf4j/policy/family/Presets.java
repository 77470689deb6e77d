package rlhf4j.policy.family;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.model.AttentionType;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.RopeScaling;

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
    // Qwen3 at tiny size: head_dim 32 != hidden/heads = 16, GQA, tied embeddings
    PRESETS.put(
        "tiny-qwen3",
        ModelConfig.builder(Architectures.QWEN3)
            .vocabSize(1024)
            .hiddenSize(64)
            .numLayers(2)
            .numHeads(4)
            .numKvHeads(2)
            .headDim(32)
            .intermediateSize(128)
            .maxPositions(256)
            .ropeTheta(1_000_000)
            .tieWordEmbeddings(true)
            .build());
    // OLMo 2 at tiny size: post-norm blocks, q/k norms over the whole projection, untied
    PRESETS.put(
        "tiny-olmo2",
        ModelConfig.builder(Architectures.OLMO2)
            .vocabSize(1024)
            .hiddenSize(64)
            .numLayers(2)
            .numHeads(4)
            .numKvHeads(2)
            .intermediateSize(128)
            .maxPositions(256)
            .build());
    // Gemma 3 at tiny size: every third layer global, the others sliding (window 8)
    PRESETS.put(
        "tiny-gemma3",
        ModelConfig.builder(Architectures.GEMMA3)
            .vocabSize(1024)
            .hiddenSize(64)
            .numLayers(3)
            .numHeads(4)
            .numKvHeads(2)
            .headDim(32)
            .intermediateSize(128)
            .maxPositions(256)
            .slidingWindow(8)
            .layerTypes(List.of(AttentionType.SLIDING, AttentionType.SLIDING, AttentionType.FULL))
            .build());
    // Phi-3 at tiny size: fused qkv_proj (GQA) and gate_up_proj, untied
    PRESETS.put(
        "tiny-phi3",
        ModelConfig.builder(Architectures.PHI3)
            .vocabSize(1024)
            .hiddenSize(64)
            .numLayers(2)
            .numHeads(4)
            .numKvHeads(2)
            .intermediateSize(128)
            .maxPositions(256)
            .build());
    // the true shapes of released checkpoints (random weights: nothing from a hub is reachable)
    PRESETS.put("qwen3-0.6b", qwen3_0_6b());
    PRESETS.put("llama-3.2-1b", llama32_1b());
    PRESETS.put("smollm2-135m", smollm2_135m());
  }

  private Presets() {}

  /** Qwen/Qwen3-0.6B config.json: 28 layers, 16 x 128 query heads over hidden 1024, tied. */
  private static ModelConfig qwen3_0_6b() {
    return ModelConfig.builder(Architectures.QWEN3)
        .vocabSize(151936)
        .hiddenSize(1024)
        .intermediateSize(3072)
        .numLayers(28)
        .numHeads(16)
        .numKvHeads(8)
        .headDim(128)
        .maxPositions(40960)
        .normEps(1e-6)
        .ropeTheta(1_000_000)
        .tieWordEmbeddings(true)
        .bosTokenId(151643)
        .eosTokenId(151645)
        .build();
  }

  /** meta-llama/Llama-3.2-1B config.json: llama3 rope scaling (factor 32), tied embeddings. */
  private static ModelConfig llama32_1b() {
    return ModelConfig.builder(Architectures.LLAMA)
        .vocabSize(128256)
        .hiddenSize(2048)
        .intermediateSize(8192)
        .numLayers(16)
        .numHeads(32)
        .numKvHeads(8)
        .headDim(64)
        .maxPositions(131072)
        .normEps(1e-5)
        .ropeTheta(500_000)
        .ropeScaling(new RopeScaling(RopeScaling.Type.LLAMA3, 32, 1, 4, 8192))
        .tieWordEmbeddings(true)
        .bosTokenId(128000)
        .eosTokenId(128001)
        .build();
  }

  /** HuggingFaceTB/SmolLM2-135M config.json: 30 layers, 9/3 heads of 64, theta 1e5, tied. */
  private static ModelConfig smollm2_135m() {
    return ModelConfig.builder(Architectures.LLAMA)
        .vocabSize(49152)
        .hiddenSize(576)
        .intermediateSize(1536)
        .numLayers(30)
        .numHeads(9)
        .numKvHeads(3)
        .headDim(64)
        .maxPositions(8192)
        .normEps(1e-5)
        .ropeTheta(100_000)
        .tieWordEmbeddings(true)
        .bosTokenId(0)
        .eosTokenId(0)
        .build();
  }

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
