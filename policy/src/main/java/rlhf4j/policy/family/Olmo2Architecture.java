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
import rlhf4j.policy.model.Block;
import rlhf4j.policy.model.Mlp;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.Norm;
import rlhf4j.policy.model.NormKind;
import rlhf4j.policy.model.ParamSpec;
import rlhf4j.policy.model.ResidualLayout;

/**
 * OLMo 2 ({@code Olmo2ForCausalLM}, transformers {@code models/olmo2/modeling_olmo2.py}): the Llama
 * layout with the norms moved. No norm before attention or the MLP; {@code
 * post_attention_layernorm} and {@code post_feedforward_layernorm} normalise their outputs before
 * the residual add ({@code Olmo2DecoderLayer.forward}, {@link ResidualLayout#POST_NORM}); {@code
 * self_attn.q_norm} / {@code k_norm} are RMSNorms over the whole projection (H·Dh and Hkv·Dh wide)
 * before the head split and RoPE ({@code Olmo2Attention.forward}: {@code q_norm(q_proj(x))}).
 * Untied head; q/k/v/o share {@code attention_bias}; head_dim = hidden/heads.
 */
final class Olmo2Architecture implements LlamaStyleNames {
  private static final double STD = 0.02; // Olmo2Config initializer_range

  @Override
  public String name() {
    return "olmo2";
  }

  @Override
  public List<String> modelTypes() {
    return List.of("olmo2");
  }

  /** transformers' {@code Olmo2Config()} defaults (configuration_olmo2.py, OLMo 2 7B shape). */
  @Override
  public ModelConfig.Builder defaults(ModelConfig.Builder b) {
    return b.vocabSize(50304) // vocab_size
        .hiddenSize(4096) // hidden_size
        .intermediateSize(11008) // intermediate_size
        .numLayers(32) // num_hidden_layers
        .numHeads(32) // num_attention_heads; num_key_value_heads None = heads
        .activation(Activation.SILU) // hidden_act
        .maxPositions(2048) // max_position_embeddings
        .normEps(1e-5) // rms_norm_eps
        .ropeTheta(10000) // rope_parameters default theta
        .rotaryPct(1.0)
        .residual(ResidualLayout.POST_NORM)
        .tieWordEmbeddings(false) // tie_word_embeddings
        .qkvBias(false) // attention_bias
        .attnOutBias(false) // attention_bias
        .mlpBias(false) // Olmo2MLP has no biases
        .scaleAttnByInverseLayerIdx(false)
        .bosTokenId(-1) // bos_token_id None
        .eosTokenId(50279) // eos_token_id
        .padTokenId(1); // pad_token_id
  }

  /** One {@code attention_bias}, no MLP bias, full rotary, post-norm blocks, no window. */
  @Override
  public void validate(ModelConfig c) {
    FamilyRules.requirePlainAttention(c);
    FamilyRules.requireNoLongRope(c);
    FamilyRules.requireOneAttentionBias(c);
    FamilyRules.requireNoMlpBias(c);
    FamilyRules.requireResidual(c, ResidualLayout.POST_NORM);
    FamilyRules.requireNoSliding(c);
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
      LlamaLayout.addAttention(p, c, l, STD);
      Modules.addNorm(p, normKind(), l + ".self_attn.q_norm", (long) c.numHeads() * c.headDim());
      Modules.addNorm(p, normKind(), l + ".self_attn.k_norm", (long) c.numKvHeads() * c.headDim());
      Modules.addNorm(p, normKind(), l + ".post_attention_layernorm", d);
      LlamaLayout.addGatedMlp(p, c, l, STD);
      Modules.addNorm(p, normKind(), l + ".post_feedforward_layernorm", d);
    }
    LlamaLayout.addFinalNormAndHead(p, c, STD);
    return p;
  }

  @Override
  public Block block(ModelConfig c, int i, Map<String, NDArray> p) {
    String l = "model.layers." + i;
    Norm qNorm = Modules.norm(c, p, l + ".self_attn.q_norm"); // over H·Dh
    Norm kNorm = Modules.norm(c, p, l + ".self_attn.k_norm");
    Attention attn =
        LlamaLayout.separateAttention(
            c, p, i, qNorm, kNorm, Attention.QkNormScope.WHOLE_PROJECTION);
    Mlp mlp = Modules.gatedMlp(c, p, l);
    return new Block(
        Modules.norm(c, p, l + ".post_attention_layernorm"),
        attn,
        Modules.norm(c, p, l + ".post_feedforward_layernorm"),
        mlp,
        c.residual()); // POST_NORM: the norms apply to the attention and MLP outputs
  }

  @Override
  public ModelConfig.Builder readHfConfig(String modelType, JsonObject j) {
    int d = req(j, "hidden_size");
    int heads = req(j, "num_attention_heads");
    boolean bias = bool(j, "attention_bias", false);
    return ModelConfig.builder(this)
        .modelType(modelType)
        .vocabSize(req(j, "vocab_size"))
        .hiddenSize(d)
        .numLayers(req(j, "num_hidden_layers"))
        .numHeads(heads)
        .numKvHeads(intOr(j, "num_key_value_heads", heads))
        .headDim(d / Math.max(heads, 1)) // Olmo2Config has no head_dim
        .intermediateSize(req(j, "intermediate_size"))
        .maxPositions(intOr(j, "max_position_embeddings", 2048))
        .normEps(dbl(j, "rms_norm_eps", 1e-5))
        .activation(Activation.fromHfName(str(j, "hidden_act", "silu")))
        .ropeTheta(HfJson.ropeTheta(j, 10000))
        .ropeScaling(HfJson.ropeScaling(j))
        .tieWordEmbeddings(bool(j, "tie_word_embeddings", false))
        .qkvBias(bias)
        .attnOutBias(bias)
        .mlpBias(false);
  }

  @Override
  public void writeHfConfig(ModelConfig c, JsonObject j) {
    HfJson.writeLlamaStart(j, c, causalLmClass(c.modelType()));
    j.addProperty("rms_norm_eps", c.normEps());
    j.addProperty("rope_theta", c.ropeTheta());
    j.addProperty("attention_bias", c.qkvBias());
    HfJson.writeRopeScaling(j, c.ropeScaling());
  }

  @Override
  public String causalLmClass(String modelType) {
    return "Olmo2ForCausalLM";
  }

  @Override
  public String sequenceClassificationClass(String modelType) {
    return "Olmo2ForSequenceClassification";
  }

  /**
   * q_proj and v_proj, as for the Llama family: PEFT's
   * TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING has no olmo2 entry (PEFT asks for
   * target_modules), so name targets to match a PEFT run exactly.
   */
  @Override
  public List<String> defaultLoraTargets() {
    return List.of("q_proj", "v_proj");
  }

  /** Llama's measured factors plus the q and k norm outputs (an estimate, not measured). */
  @Override
  public ActivationFactors activationFactors() {
    return new ActivationFactors(10, 4, 25, 8, 5, 2);
  }

  @Override
  public String toString() {
    return name();
  }
}
