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
 * Phi-3 ({@code Phi3ForCausalLM}, transformers {@code models/phi3/modeling_phi3.py}): the Llama
 * layout with fused projections. {@code self_attn.qkv_proj} outputs [q | k | v] with grouped-query
 * sizes ({@link Attention.QkvLayout#FUSED_GQA}); {@code mlp.gate_up_proj} outputs [gate | up]
 * ({@code Phi3MLP.forward}: {@code up · act(gate)}); rotary over the first {@code
 * partial_rotary_factor} of each head; every layer slides when {@code sliding_window} is set
 * (Phi-3-mini-4k: 2047). No biases. LoRA adapts the fused modules as PEFT does (one adapter on
 * {@code qkv_proj}). LongRoPE ({@code rope_scaling} type {@code longrope}, Phi-3-mini-128k,
 * Phi-3.5-mini): per-frequency short/long factors and a cos/sin attention factor ({@link
 * rlhf4j.policy.model.RopeScaling}); each forward picks the long factors when the batch's longest
 * sequence exceeds {@code original_max_position_embeddings}, and a cached generation recomputes its
 * cache once when it first grows past that length, as transformers' {@code
 * Phi3ForCausalLM.prepare_inputs_for_generation} means to, so cached decoding equals recomputing
 * (transformers 5.17's {@code generate} drops the cache there but feeds only the newest token).
 */
final class Phi3Architecture implements LlamaStyleNames {
  private static final double STD = 0.02; // Phi3Config initializer_range

  @Override
  public String name() {
    return "phi3";
  }

  @Override
  public List<String> modelTypes() {
    return List.of("phi3");
  }

  /** transformers' {@code Phi3Config()} defaults (configuration_phi3.py, Phi-3-mini shape). */
  @Override
  public ModelConfig.Builder defaults(ModelConfig.Builder b) {
    return b.vocabSize(32064) // vocab_size
        .hiddenSize(3072) // hidden_size
        .intermediateSize(8192) // intermediate_size
        .numLayers(32) // num_hidden_layers
        .numHeads(32) // num_attention_heads; num_key_value_heads None = heads
        .activation(Activation.SILU) // hidden_act
        .maxPositions(4096) // max_position_embeddings
        .normEps(1e-5) // rms_norm_eps
        .ropeTheta(10000) // rope_theta
        .rotaryPct(1.0) // partial_rotary_factor
        .residual(ResidualLayout.SEQUENTIAL)
        .tieWordEmbeddings(false) // tie_word_embeddings
        .qkvBias(false)
        .attnOutBias(false)
        .mlpBias(false)
        .scaleAttnByInverseLayerIdx(false)
        .bosTokenId(1) // bos_token_id
        .eosTokenId(32000) // eos_token_id
        .padTokenId(32000); // pad_token_id
  }

  /** No biases, sequential blocks, every layer or none sliding. */
  @Override
  public void validate(ModelConfig c) {
    FamilyRules.requirePlainAttention(c);
    if (c.qkvBias() || c.attnOutBias() || c.mlpBias()) {
      throw new IllegalArgumentException(
          "phi3 has no biases: qkvBias, attnOutBias and mlpBias must be false");
    }
    FamilyRules.requireResidual(c, ResidualLayout.SEQUENTIAL);
    FamilyRules.requireOneRopeBase(c);
    if (c.hasSlidingLayers() && c.layerTypes().contains(AttentionType.FULL)) {
      throw new IllegalArgumentException(
          "phi3 slides in every layer or none: layerTypes must not mix full and sliding, got "
              + c.layerTypes());
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
    long q = (long) c.numHeads() * c.headDim();
    long kv = (long) c.numKvHeads() * c.headDim();
    LlamaLayout.addEmbedding(p, c, STD);
    for (int i = 0; i < c.numLayers(); i++) {
      String l = "model.layers." + i;
      Modules.addNorm(p, normKind(), l + ".input_layernorm", d);
      Modules.addLinear(p, l + ".self_attn.qkv_proj", q + 2 * kv, d, false, STD, false);
      Modules.addLinear(p, l + ".self_attn.o_proj", d, q, false, STD, false);
      Modules.addNorm(p, normKind(), l + ".post_attention_layernorm", d);
      long f = c.intermediateSize();
      Modules.addLinear(p, l + ".mlp.gate_up_proj", 2 * f, d, false, STD, false);
      Modules.addLinear(p, l + ".mlp.down_proj", d, f, false, STD, false);
    }
    LlamaLayout.addFinalNormAndHead(p, c, STD);
    return p;
  }

  @Override
  public Block block(ModelConfig c, int i, Map<String, NDArray> p) {
    String l = "model.layers." + i;
    Attention attn =
        new Attention(
            i,
            Attention.QkvLayout.FUSED_GQA,
            List.of(Modules.linear(p, l + ".self_attn.qkv_proj", false)),
            Modules.linear(p, l + ".self_attn.o_proj", false),
            c.numHeads(),
            c.numKvHeads(),
            c.headDim(),
            c.rotaryDims(),
            1.0 / Math.sqrt(c.headDim()), // Phi3Attention.scaling = head_dim ** -0.5
            null,
            null,
            Attention.QkNormScope.PER_HEAD,
            c.slidingLayer(i));
    Mlp mlp =
        Mlp.fusedGateUp(
            Modules.linear(p, l + ".mlp.gate_up_proj", false),
            Modules.linear(p, l + ".mlp.down_proj", false),
            c.activation());
    return LlamaLayout.preNormBlock(c, p, i, attn, mlp);
  }

  @Override
  public ModelConfig.Builder readHfConfig(String modelType, JsonObject j) {
    int d = req(j, "hidden_size");
    int heads = req(j, "num_attention_heads");
    int layers = req(j, "num_hidden_layers");
    int window = HfJson.windowOr(j, "sliding_window", 0); // Phi3Config: None
    return ModelConfig.builder(this)
        .modelType(modelType)
        .vocabSize(req(j, "vocab_size"))
        .hiddenSize(d)
        .numLayers(layers)
        .numHeads(heads)
        .numKvHeads(intOr(j, "num_key_value_heads", heads))
        .headDim(intOr(j, "head_dim", d / Math.max(heads, 1)))
        .intermediateSize(req(j, "intermediate_size"))
        .maxPositions(intOr(j, "max_position_embeddings", 4096))
        .normEps(dbl(j, "rms_norm_eps", 1e-5))
        .activation(Activation.fromHfName(str(j, "hidden_act", "silu")))
        .ropeTheta(HfJson.ropeTheta(j, 10000))
        .rotaryPct(HfJson.ropeDouble(j, "partial_rotary_factor", 1.0))
        .ropeScaling(HfJson.phi3RopeScaling(j))
        .tieWordEmbeddings(bool(j, "tie_word_embeddings", false))
        .qkvBias(false)
        .attnOutBias(false)
        .mlpBias(false)
        .slidingWindow(window)
        .layerTypes(window > 0 ? Collections.nCopies(layers, AttentionType.SLIDING) : List.of());
  }

  @Override
  public void writeHfConfig(ModelConfig c, JsonObject j) {
    HfJson.writeLlamaStart(j, c, causalLmClass(c.modelType()));
    j.addProperty("rms_norm_eps", c.normEps());
    j.addProperty("rope_theta", c.ropeTheta());
    j.addProperty("partial_rotary_factor", c.rotaryPct());
    HfJson.writeWindowOrNull(j, c);
    HfJson.writeRopeScaling(j, c.ropeScaling());
  }

  @Override
  public String causalLmClass(String modelType) {
    return "Phi3ForCausalLM";
  }

  @Override
  public String sequenceClassificationClass(String modelType) {
    return "Phi3ForSequenceClassification";
  }

  /**
   * The fused attention projection: PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING has
   * no phi3 entry (PEFT asks for target_modules), and qkv_proj is what Phi-3 LoRA recipes name.
   */
  @Override
  public List<String> defaultLoraTargets() {
    return List.of("qkv_proj");
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
