package rlhf4j.policy.family;

import static rlhf4j.policy.family.HfJson.bool;
import static rlhf4j.policy.family.HfJson.dbl;
import static rlhf4j.policy.family.HfJson.intOr;
import static rlhf4j.policy.family.HfJson.req;
import static rlhf4j.policy.family.HfJson.str;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.model.Activation;
import rlhf4j.policy.model.Attention;
import rlhf4j.policy.model.AttentionType;
import rlhf4j.policy.model.Block;
import rlhf4j.policy.model.Mlp;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.NormKind;
import rlhf4j.policy.model.ParamSpec;
import rlhf4j.policy.model.ResidualLayout;

/**
 * Llama, Mistral and Qwen2 ({@code LlamaForCausalLM} layout): names under {@code model.}, RMSNorm,
 * rotary positions, grouped-query attention with separate q/k/v projections, SwiGLU MLP. Qwen2
 * differs only in always having q/k/v biases (and no {@code attention_bias} field). Mistral slides
 * every layer over {@code sliding_window} positions; Qwen2 slides the layers {@code layer_types}
 * (or {@code max_window_layers}) name when {@code use_sliding_window}.
 */
final class LlamaArchitecture implements LlamaStyleNames {
  private static final double STD = 0.02; // HF initializer_range

  @Override
  public String name() {
    return "llama";
  }

  @Override
  public List<String> modelTypes() {
    return List.of("llama", "mistral", "qwen2");
  }

  /** transformers' {@code LlamaConfig()} defaults (Llama-2 7B shape). */
  @Override
  public ModelConfig.Builder defaults(ModelConfig.Builder b) {
    return b.vocabSize(32000) // vocab_size
        .hiddenSize(4096) // hidden_size
        .intermediateSize(11008) // intermediate_size
        .numLayers(32) // num_hidden_layers
        .numHeads(32) // num_attention_heads; num_key_value_heads, head_dim None = derived
        .activation(Activation.SILU) // hidden_act
        .maxPositions(2048) // max_position_embeddings
        .normEps(1e-6) // rms_norm_eps
        .ropeTheta(10000) // rope_theta
        .rotaryPct(1.0) // partial_rotary_factor
        .residual(ResidualLayout.SEQUENTIAL)
        .tieWordEmbeddings(false) // tie_word_embeddings
        .qkvBias(false) // attention_bias
        .attnOutBias(false) // attention_bias
        .mlpBias(false) // mlp_bias
        .scaleAttnByInverseLayerIdx(false)
        .bosTokenId(1) // bos_token_id
        .eosTokenId(2) // eos_token_id
        .padTokenId(-1); // pad_token_id None
  }

  /**
   * HF writes what {@link #writeHfConfig} can express: qwen2's fixed biases, one attention_bias.
   */
  @Override
  public void validate(ModelConfig c) {
    FamilyRules.requirePlainAttention(c);
    FamilyRules.requireNoLongRope(c);
    FamilyRules.requireResidual(c, ResidualLayout.SEQUENTIAL);
    FamilyRules.requireOneRopeBase(c);
    if (c.modelType().equals("llama")) {
      FamilyRules.requireNoSliding(c);
    }
    if (c.modelType().equals("mistral")
        && c.hasSlidingLayers()
        && c.layerTypes().contains(AttentionType.FULL)) {
      throw new IllegalArgumentException(
          "mistral slides in every layer or none: layerTypes must not mix full and sliding, got "
              + c.layerTypes());
    }
    if (c.modelType().equals("qwen2")) {
      if (!c.qkvBias() || c.attnOutBias()) {
        throw new IllegalArgumentException(
            "qwen2 has q/k/v biases and no o_proj bias: qkvBias must be true and attnOutBias"
                + " false, got "
                + c.qkvBias()
                + " and "
                + c.attnOutBias());
      }
    } else {
      FamilyRules.requireOneAttentionBias(c);
    }
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
      Modules.addNorm(p, normKind(), l + ".post_attention_layernorm", d);
      LlamaLayout.addGatedMlp(p, c, l, STD);
    }
    LlamaLayout.addFinalNormAndHead(p, c, STD);
    return p;
  }

  @Override
  public Block block(ModelConfig c, int i, Map<String, NDArray> p) {
    String l = "model.layers." + i;
    Attention attn =
        LlamaLayout.separateAttention(c, p, i, null, null, Attention.QkNormScope.PER_HEAD);
    Mlp mlp = Modules.gatedMlp(c, p, l);
    return LlamaLayout.preNormBlock(c, p, i, attn, mlp);
  }

  @Override
  public ModelConfig.Builder readHfConfig(String modelType, JsonObject j) {
    int d = req(j, "hidden_size");
    int heads = req(j, "num_attention_heads");
    boolean attnBias = bool(j, "attention_bias", false);
    boolean qwen = modelType.equals("qwen2");
    int layers = req(j, "num_hidden_layers");
    int window = 0;
    List<AttentionType> types = List.of();
    if (qwen) {
      window = HfJson.qwenSlidingWindow(j);
      types = HfJson.qwenLayerTypes(j, layers, window);
    } else if (modelType.equals("mistral")) {
      // MistralConfig: sliding_window defaults to 4096, null = none; it applies to every layer
      window = HfJson.windowOr(j, "sliding_window", 4096);
      types = window > 0 ? Collections.nCopies(layers, AttentionType.SLIDING) : List.of();
    }
    return ModelConfig.builder(this)
        .modelType(modelType)
        .vocabSize(req(j, "vocab_size"))
        .hiddenSize(d)
        .numLayers(req(j, "num_hidden_layers"))
        .numHeads(heads)
        .numKvHeads(intOr(j, "num_key_value_heads", heads))
        .headDim(intOr(j, "head_dim", d / Math.max(heads, 1)))
        .intermediateSize(req(j, "intermediate_size"))
        .maxPositions(intOr(j, "max_position_embeddings", 2048))
        .normEps(dbl(j, "rms_norm_eps", 1e-6))
        .activation(Activation.fromHfName(str(j, "hidden_act", "silu")))
        .ropeTheta(HfJson.ropeTheta(j, 10000))
        .rotaryPct(HfJson.ropeDouble(j, "partial_rotary_factor", 1.0))
        .ropeScaling(HfJson.ropeScaling(j))
        .tieWordEmbeddings(bool(j, "tie_word_embeddings", false))
        .qkvBias(qwen || attnBias)
        .attnOutBias(!qwen && attnBias)
        .mlpBias(bool(j, "mlp_bias", false))
        .slidingWindow(types.isEmpty() ? 0 : window)
        .layerTypes(types);
  }

  @Override
  public void writeHfConfig(ModelConfig c, JsonObject j) {
    HfJson.writeLlamaStart(j, c, causalLmClass(c.modelType()));
    j.addProperty("head_dim", c.headDim());
    j.addProperty("rms_norm_eps", c.normEps());
    j.addProperty("rope_theta", c.ropeTheta());
    if (!c.modelType().equals("qwen2")) {
      j.addProperty("attention_bias", c.qkvBias());
      j.addProperty("mlp_bias", c.mlpBias());
    }
    if (c.modelType().equals("qwen2")) {
      HfJson.writeQwenSliding(j, c);
    } else if (c.modelType().equals("mistral")) {
      HfJson.writeWindowOrNull(j, c);
    }
    HfJson.writeRopeScaling(j, c.ropeScaling());
  }

  @Override
  public String causalLmClass(String modelType) {
    return classPrefix(modelType) + "ForCausalLM";
  }

  @Override
  public String sequenceClassificationClass(String modelType) {
    return classPrefix(modelType) + "ForSequenceClassification";
  }

  private static String classPrefix(String modelType) {
    switch (modelType) {
      case "qwen2":
        return "Qwen2";
      case "mistral":
        return "Mistral";
      default:
        return "Llama";
    }
  }

  @Override
  public List<String> defaultLoraTargets() {
    return List.of("q_proj", "v_proj");
  }

  @Override
  public ActivationFactors activationFactors() {
    return new ActivationFactors(7, 4, 22, 8, 4, 2);
  }

  @Override
  public String toString() {
    return name();
  }
}
