package rlhf4j.policy.family;

import static rlhf4j.policy.family.HfJson.bool;
import static rlhf4j.policy.family.HfJson.dbl;
import static rlhf4j.policy.family.HfJson.intOr;
import static rlhf4j.policy.family.HfJson.req;
import static rlhf4j.policy.family.HfJson.str;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
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
 * Gemma 3 text ({@code Gemma3ForCausalLM}, {@code model_type: gemma3_text}, transformers {@code
 * models/gemma3/modeling_gemma3.py}). Deltas from Llama: token embeddings times √hidden ({@code
 * Gemma3TextScaledWordEmbedding}); RMSNorm with {@code (1 + w)}, weights starting at 0 ({@code
 * Gemma3RMSNorm}); four norms per block, {@code input_layernorm}, {@code post_attention_layernorm},
 * {@code pre_feedforward_layernorm}, {@code post_feedforward_layernorm} ({@code
 * Gemma3DecoderLayer.forward}, {@link ResidualLayout#SANDWICH}); per-head q/k norms before RoPE;
 * GeGLU with tanh GELU ({@code hidden_activation}); attention scale {@code
 * query_pre_attn_scalar^-0.5} ({@code Gemma3Attention.__init__}: {@code self.scaling =
 * config.query_pre_attn_scalar**-0.5}; Gemma 3 27B: 168 with head_dim 128); sliding layers ({@code
 * layer_types}, or every layer but each {@code sliding_window_pattern}-th) with their own RoPE base
 * {@code rope_local_base_freq} and no rope scaling; tied embeddings.
 *
 * <p>Soft-capping: {@code final_logit_softcapping} caps the logits ({@code
 * Gemma3ForCausalLM.forward}: {@code logits / cap}, {@code tanh}, {@code * cap}; {@link
 * ModelConfig#finalLogitSoftcap()}). {@code attn_logit_softcapping} is read and saved back but, as
 * in transformers, not applied: {@code Gemma3Attention.forward} (modeling_gemma3.py and
 * modular_gemma3.py, which overrides Gemma 2's forward) calls the attention function without Gemma
 * 2's {@code softcap=self.attn_logit_softcapping}, so no attention implementation caps Gemma 3's
 * scores.
 */
final class Gemma3Architecture implements LlamaStyleNames {
  private static final double STD = 0.02; // Gemma3TextConfig initializer_range

  @Override
  public String name() {
    return "gemma3_text";
  }

  @Override
  public List<String> modelTypes() {
    return List.of("gemma3_text");
  }

  /** transformers' {@code Gemma3TextConfig()} defaults (configuration_gemma3.py, 2B-like shape). */
  @Override
  public ModelConfig.Builder defaults(ModelConfig.Builder b) {
    return b.vocabSize(262208) // vocab_size
        .hiddenSize(2304) // hidden_size
        .intermediateSize(9216) // intermediate_size
        .numLayers(26) // num_hidden_layers
        .numHeads(8) // num_attention_heads
        .numKvHeads(4) // num_key_value_heads
        .headDim(256) // head_dim
        .activation(Activation.GELU_PYTORCH_TANH) // hidden_activation
        .maxPositions(131072) // max_position_embeddings
        .normEps(1e-6) // rms_norm_eps
        .ropeTheta(1_000_000) // rope_theta
        .slidingRopeTheta(10_000) // rope_local_base_freq
        .rotaryPct(1.0)
        .residual(ResidualLayout.SANDWICH)
        .tieWordEmbeddings(true) // tie_word_embeddings
        .qkvBias(false) // attention_bias
        .attnOutBias(false) // attention_bias
        .mlpBias(false) // Gemma3MLP has no biases
        .scaleAttnByInverseLayerIdx(false)
        .bosTokenId(2) // bos_token_id
        .eosTokenId(1) // eos_token_id
        .padTokenId(0); // pad_token_id
  }

  /** One attention_bias, no MLP bias, full rotary, four-norm blocks. */
  @Override
  public void validate(ModelConfig c) {
    FamilyRules.requireNoLongRope(c);
    FamilyRules.requireOneAttentionBias(c);
    FamilyRules.requireNoMlpBias(c);
    FamilyRules.requireResidual(c, ResidualLayout.SANDWICH);
    if (!(c.slidingRopeTheta() > 0)) {
      throw new IllegalArgumentException(
          "gemma3_text needs rope_local_base_freq: slidingRopeTheta must be > 0, got "
              + c.slidingRopeTheta());
    }
    FamilyRules.requireFullRotary(c);
  }

  @Override
  public NormKind normKind() {
    return NormKind.RMS_NORM_PLUS_ONE;
  }

  /** √hidden in float32, as {@code Gemma3TextScaledWordEmbedding} multiplies it. */
  @Override
  public double embeddingScale(ModelConfig c) {
    return (float) Math.sqrt(c.hiddenSize());
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
      Modules.addNorm(p, normKind(), l + ".pre_feedforward_layernorm", d);
      Modules.addNorm(p, normKind(), l + ".post_feedforward_layernorm", d);
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
    Attention attn = // scores times query_pre_attn_scalar ** -0.5 (c.attentionScale())
        LlamaLayout.separateAttention(c, p, i, qNorm, kNorm, Attention.QkNormScope.PER_HEAD);
    Mlp mlp = Modules.gatedMlp(c, p, l);
    return new Block(
        Modules.norm(c, p, l + ".input_layernorm"),
        attn,
        Modules.norm(c, p, l + ".pre_feedforward_layernorm"),
        mlp,
        c.residual(),
        Modules.norm(c, p, l + ".post_attention_layernorm"),
        Modules.norm(c, p, l + ".post_feedforward_layernorm"));
  }

  @Override
  public Predicate<String> ignoredKeys() {
    return k -> k.endsWith(".rotary_emb.inv_freq") || k.endsWith(".rotary_emb_local.inv_freq");
  }

  @Override
  public ModelConfig.Builder readHfConfig(String modelType, JsonObject j) {
    int heads = req(j, "num_attention_heads");
    int layers = req(j, "num_hidden_layers");
    int headDim = intOr(j, "head_dim", 256);
    double scalar = positiveOr(j, "query_pre_attn_scalar", 256); // Gemma3TextConfig default
    double attnCap = positiveOr(j, "attn_logit_softcapping", 0);
    if (attnCap > 0) {
      org.slf4j.LoggerFactory.getLogger(Gemma3Architecture.class)
          .warn(
              "attn_logit_softcapping {} is kept and saved back but not applied: transformers'"
                  + " Gemma3Attention does not cap attention scores either",
              attnCap);
    }
    boolean bias = bool(j, "attention_bias", false);
    int window = HfJson.windowOr(j, "sliding_window", 4096);
    List<AttentionType> types = new ArrayList<>();
    if (j.has("layer_types") && j.get("layer_types").isJsonArray()) {
      j.getAsJsonArray("layer_types")
          .forEach(t -> types.add(AttentionType.fromHfName(t.getAsString())));
    } else {
      int pattern = intOr(j, "sliding_window_pattern", 6); // Gemma3TextConfig default
      for (int i = 0; i < layers; i++) {
        types.add((i + 1) % pattern != 0 ? AttentionType.SLIDING : AttentionType.FULL);
      }
    }
    boolean slides = window > 0 && types.contains(AttentionType.SLIDING);
    JsonObject rp =
        j.has("rope_parameters") && j.get("rope_parameters").isJsonObject()
            ? j.getAsJsonObject("rope_parameters")
            : null;
    double theta = HfJson.ropeTheta(j, 1_000_000);
    double local = dbl(j, "rope_local_base_freq", 10_000);
    JsonObject ropeJson = j;
    if (rp != null && rp.has("full_attention")) { // transformers 5: per layer type
      JsonObject full = rp.getAsJsonObject("full_attention");
      theta = dbl(full, "rope_theta", theta);
      if (rp.has("sliding_attention")) {
        local = dbl(rp.getAsJsonObject("sliding_attention"), "rope_theta", local);
      }
      ropeJson = new JsonObject();
      ropeJson.add("rope_parameters", full);
    }
    return ModelConfig.builder(this)
        .modelType(modelType)
        .vocabSize(req(j, "vocab_size"))
        .hiddenSize(req(j, "hidden_size"))
        .numLayers(layers)
        .numHeads(heads)
        .numKvHeads(intOr(j, "num_key_value_heads", 4))
        .headDim(headDim)
        .intermediateSize(req(j, "intermediate_size"))
        .maxPositions(intOr(j, "max_position_embeddings", 131072))
        .normEps(dbl(j, "rms_norm_eps", 1e-6))
        .activation(Activation.fromHfName(str(j, "hidden_activation", "gelu_pytorch_tanh")))
        .ropeTheta(theta)
        .ropeScaling(HfJson.ropeScaling(ropeJson))
        .slidingRopeTheta(local)
        .tieWordEmbeddings(bool(j, "tie_word_embeddings", true))
        .qkvBias(bias)
        .attnOutBias(bias)
        .mlpBias(false)
        .slidingWindow(slides ? window : 0)
        .layerTypes(slides ? types : List.of())
        .queryPreAttnScalar(scalar == headDim ? 0 : scalar) // 0 = head_dim
        .attnLogitSoftcap(attnCap)
        .finalLogitSoftcap(positiveOr(j, "final_logit_softcapping", 0));
  }

  /** A number > 0, or {@code dflt} when absent or null (JSON null = no soft cap). */
  private static double positiveOr(JsonObject j, String field, double dflt) {
    double v = dbl(j, field, dflt);
    if (j.has(field) && !j.get(field).isJsonNull() && !(v > 0)) {
      throw new IllegalArgumentException(
          field + " must be a number > 0" + (dflt == 0 ? " or null" : "") + ", got " + v);
    }
    return v;
  }

  /** A whole number as an int (as transformers types these fields), else as it is. */
  private static void addNumber(JsonObject j, String field, double v) {
    if (v == Math.rint(v) && Math.abs(v) < Integer.MAX_VALUE) {
      j.addProperty(field, (int) v);
    } else {
      j.addProperty(field, v);
    }
  }

  /** A soft cap, null when there is none. */
  private static void addCap(JsonObject j, String field, double cap) {
    if (cap > 0) {
      j.addProperty(field, cap);
    } else {
      j.add(field, JsonNull.INSTANCE);
    }
  }

  @Override
  public void writeHfConfig(ModelConfig c, JsonObject j) {
    HfJson.writeArchitectures(j, causalLmClass(c.modelType()));
    HfJson.writeCommon(j, c);
    j.remove("hidden_act");
    j.addProperty("hidden_activation", c.activation().hfName());
    j.addProperty("num_key_value_heads", c.numKvHeads());
    j.addProperty("head_dim", c.headDim());
    addNumber(
        j,
        "query_pre_attn_scalar",
        c.queryPreAttnScalar() > 0 ? c.queryPreAttnScalar() : c.headDim());
    j.addProperty("rms_norm_eps", c.normEps());
    j.addProperty("rope_theta", c.ropeTheta());
    j.addProperty("rope_local_base_freq", c.slidingRopeTheta());
    j.addProperty("attention_bias", c.qkvBias());
    addCap(j, "final_logit_softcapping", c.finalLogitSoftcap());
    addCap(j, "attn_logit_softcapping", c.attnLogitSoftcap());
    j.addProperty("sliding_window", c.hasSlidingLayers() ? c.slidingWindow() : 0);
    j.add("layer_types", HfJson.layerTypes(c));
    HfJson.writeRopeScaling(j, c.ropeScaling());
  }

  @Override
  public String causalLmClass(String modelType) {
    return "Gemma3ForCausalLM";
  }

  @Override
  public String sequenceClassificationClass(String modelType) {
    return "Gemma3TextForSequenceClassification";
  }

  /** PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING["gemma3_text"]. */
  @Override
  public List<String> defaultLoraTargets() {
    return List.of("q_proj", "v_proj");
  }

  /** Llama's measured factors plus q/k norms and two more block norms (an estimate). */
  @Override
  public ActivationFactors activationFactors() {
    return new ActivationFactors(12, 4, 28, 8, 5, 2);
  }

  @Override
  public String toString() {
    return name();
  }
}
