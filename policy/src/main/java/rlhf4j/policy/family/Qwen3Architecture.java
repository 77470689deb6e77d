package rlhf4j.policy.family;

import static rlhf4j.policy.family.HfJson.bool;
import static rlhf4j.policy.family.HfJson.dbl;
import static rlhf4j.policy.family.HfJson.intOr;
import static rlhf4j.policy.family.HfJson.req;
import static rlhf4j.policy.family.HfJson.str;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.model.Activation;
import rlhf4j.policy.model.Attention;
import rlhf4j.policy.model.AttentionType;
import rlhf4j.policy.model.Block;
import rlhf4j.policy.model.Mlp;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.Norm;
import rlhf4j.policy.model.NormKind;
import rlhf4j.policy.model.ParamSpec;
import rlhf4j.policy.model.ResidualLayout;

/**
 * Qwen3 ({@code Qwen3ForCausalLM}, transformers {@code models/qwen3/modeling_qwen3.py}): the Llama
 * layout with three deltas. The q/k/v/o projections share one {@code attention_bias} (false in
 * every released checkpoint); each query and key head is RMS-normalised over {@code head_dim} by
 * {@code self_attn.q_norm} / {@code k_norm} before RoPE ({@code Qwen3Attention.forward}: {@code
 * q_norm(q_proj(x).view(..., -1, head_dim))}); {@code head_dim} is a config field that need not be
 * hidden/heads (0.6B: 16 x 128 against hidden 1024). Small sizes tie the LM head; layers past
 * {@code max_window_layers} slide when {@code use_sliding_window} (off in released checkpoints).
 */
final class Qwen3Architecture implements LlamaStyleNames {
  private static final double STD = 0.02; // Qwen3Config initializer_range

  @Override
  public String name() {
    return "qwen3";
  }

  @Override
  public List<String> modelTypes() {
    return List.of("qwen3");
  }

  /** transformers' {@code Qwen3Config()} defaults (configuration_qwen3.py, Qwen3-8B shape). */
  @Override
  public ModelConfig.Builder defaults(ModelConfig.Builder b) {
    return b.vocabSize(151936) // vocab_size
        .hiddenSize(4096) // hidden_size
        .intermediateSize(22016) // intermediate_size
        .numLayers(32) // num_hidden_layers
        .numHeads(32) // num_attention_heads
        // num_key_value_heads: 32 = num_attention_heads, left to follow numHeads
        .headDim(128) // head_dim
        .activation(Activation.SILU) // hidden_act
        .maxPositions(32768) // max_position_embeddings
        .normEps(1e-6) // rms_norm_eps
        .ropeTheta(10000) // rope_parameters default theta
        .rotaryPct(1.0)
        .residual(ResidualLayout.SEQUENTIAL)
        .tieWordEmbeddings(false) // tie_word_embeddings
        .qkvBias(false) // attention_bias
        .attnOutBias(false) // attention_bias
        .mlpBias(false) // Qwen3MLP has no biases
        .scaleAttnByInverseLayerIdx(false)
        .bosTokenId(-1) // bos_token_id None
        .eosTokenId(-1) // eos_token_id None
        .padTokenId(-1); // pad_token_id None
  }

  /** One {@code attention_bias} for q/k/v/o, no MLP bias, full rotary. */
  @Override
  public void validate(ModelConfig c) {
    FamilyRules.requirePlainAttention(c);
    FamilyRules.requireNoLongRope(c);
    FamilyRules.requireOneAttentionBias(c);
    FamilyRules.requireNoMlpBias(c);
    FamilyRules.requireResidual(c, ResidualLayout.SEQUENTIAL);
    FamilyRules.requireOneRopeBase(c);
    FamilyRules.requireFullRotary(c);
  }

  @Override
  public NormKind normKind() {
    return NormKind.RMS_NORM;
  }

  @Override
  public List<ParamSpec> parameters(ModelConfig c) {
    List<ParamSpec> p = new ArrayList<>();
    long d = c.hiddenSize();
    LlamaLayout.addEmbedding(p, c, STD);
    for (int i = 0; i < c.numLayers(); i++) {
      String l = "model.layers." + i;
      Modules.addNorm(p, normKind(), l + ".input_layernorm", d);
      LlamaLayout.addAttention(p, c, l, STD);
      Modules.addNorm(p, normKind(), l + ".self_attn.q_norm", c.headDim());
      Modules.addNorm(p, normKind(), l + ".self_attn.k_norm", c.headDim());
      Modules.addNorm(p, normKind(), l + ".post_attention_layernorm", d);
      LlamaLayout.addGatedMlp(p, c, l, STD);
    }
    LlamaLayout.addFinalNormAndHead(p, c, STD);
    return p;
  }

  @Override
  public Block block(ModelConfig c, int i, Map<String, NDArray> p) {
    String l = "model.layers." + i;
    Norm qNorm = Modules.norm(c, p, l + ".self_attn.q_norm");
    Norm kNorm = Modules.norm(c, p, l + ".self_attn.k_norm");
    Attention attn =
        LlamaLayout.separateAttention(c, p, i, qNorm, kNorm, Attention.QkNormScope.PER_HEAD);
    Mlp mlp = Modules.gatedMlp(c, p, l);
    return LlamaLayout.preNormBlock(c, p, i, attn, mlp);
  }

  @Override
  public ModelConfig.Builder readHfConfig(String modelType, JsonObject j) {
    int heads = req(j, "num_attention_heads");
    int layers = req(j, "num_hidden_layers");
    boolean bias = bool(j, "attention_bias", false);
    int window = HfJson.qwenSlidingWindow(j);
    List<AttentionType> types = HfJson.qwenLayerTypes(j, layers, window);
    return ModelConfig.builder(this)
        .modelType(modelType)
        .vocabSize(req(j, "vocab_size"))
        .hiddenSize(req(j, "hidden_size"))
        .numLayers(layers)
        .numHeads(heads)
        .numKvHeads(intOr(j, "num_key_value_heads", heads))
        .headDim(intOr(j, "head_dim", 128)) // Qwen3Config.head_dim defaults to 128
        .intermediateSize(req(j, "intermediate_size"))
        .maxPositions(intOr(j, "max_position_embeddings", 32768))
        .normEps(dbl(j, "rms_norm_eps", 1e-6))
        .activation(Activation.fromHfName(str(j, "hidden_act", "silu")))
        .ropeTheta(HfJson.ropeTheta(j, 10000))
        .ropeScaling(HfJson.ropeScaling(j))
        .tieWordEmbeddings(bool(j, "tie_word_embeddings", false))
        .qkvBias(bias)
        .attnOutBias(bias)
        .mlpBias(false)
        .slidingWindow(types.isEmpty() ? 0 : window)
        .layerTypes(types);
  }

  @Override
  public void writeHfConfig(ModelConfig c, JsonObject j) {
    HfJson.writeLlamaStart(j, c, causalLmClass(c.modelType()));
    j.addProperty("head_dim", c.headDim());
    j.addProperty("rms_norm_eps", c.normEps());
    j.addProperty("rope_theta", c.ropeTheta());
    j.addProperty("attention_bias", c.qkvBias());
    HfJson.writeQwenSliding(j, c);
    HfJson.writeRopeScaling(j, c.ropeScaling());
  }

  @Override
  public String causalLmClass(String modelType) {
    return "Qwen3ForCausalLM";
  }

  @Override
  public String sequenceClassificationClass(String modelType) {
    return "Qwen3ForSequenceClassification";
  }

  /** PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING["qwen3"]. */
  @Override
  public List<String> defaultLoraTargets() {
    return List.of("q_proj", "v_proj");
  }

  /**
   * Llama's measured factors plus the q and k norm outputs (an estimate, not measured: q and k are
   * up to 2·D and D wide in the released shapes).
   */
  @Override
  public ActivationFactors activationFactors() {
    return new ActivationFactors(10, 4, 25, 8, 5, 2);
  }

  @Override
  public String toString() {
    return name();
  }
}
