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
import java.util.function.Predicate;
import rlhf4j.policy.model.Activation;
import rlhf4j.policy.model.Attention;
import rlhf4j.policy.model.Block;
import rlhf4j.policy.model.Mlp;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.NormKind;
import rlhf4j.policy.model.ParamSpec;
import rlhf4j.policy.model.PositionKind;
import rlhf4j.policy.model.ResidualLayout;

/**
 * GPT-NeoX / Pythia ({@code GPTNeoXForCausalLM}): names under {@code gpt_neox.}, head {@code
 * embed_out}, per-head fused q,k,v, partial rotary, LayerNorm, parallel residual by default.
 */
final class NeoxArchitecture implements Architecture {
  private static final double STD = 0.02; // HF initializer_range

  @Override
  public String name() {
    return "gpt_neox";
  }

  @Override
  public List<String> modelTypes() {
    return List.of("gpt_neox");
  }

  /** transformers' {@code GPTNeoXConfig()} defaults (GPT-NeoX 20B shape). */
  @Override
  public ModelConfig.Builder defaults(ModelConfig.Builder b) {
    return b.vocabSize(50432) // vocab_size
        .hiddenSize(6144) // hidden_size
        .numLayers(44) // num_hidden_layers
        .numHeads(64) // num_attention_heads
        .intermediateSize(24576) // intermediate_size
        .activation(Activation.GELU) // hidden_act
        .rotaryPct(0.25) // rotary_pct
        .ropeTheta(10000) // rotary_emb_base
        .maxPositions(2048) // max_position_embeddings
        .normEps(1e-5) // layer_norm_eps
        .residual(ResidualLayout.PARALLEL) // use_parallel_residual
        .tieWordEmbeddings(false) // tie_word_embeddings
        .qkvBias(true) // attention_bias
        .attnOutBias(true) // attention_bias
        .mlpBias(true) // the MLP always has biases
        .scaleAttnByInverseLayerIdx(false)
        .bosTokenId(0) // bos_token_id
        .eosTokenId(2) // eos_token_id
        .padTokenId(-1);
  }

  /** GPT-NeoX has no sliding-window attention. */
  @Override
  public void validate(ModelConfig c) {
    FamilyRules.requirePlainAttention(c);
    FamilyRules.requireNoLongRope(c);
    FamilyRules.requireNoSliding(c);
    FamilyRules.requireOneRopeBase(c);
    FamilyRules.requireResidual(c, ResidualLayout.SEQUENTIAL, ResidualLayout.PARALLEL);
  }

  @Override
  public NormKind normKind() {
    return NormKind.LAYER_NORM;
  }

  @Override
  public PositionKind positionKind() {
    return PositionKind.ROTARY;
  }

  @Override
  public List<ParamSpec> parameters(ModelConfig c) {
    List<ParamSpec> p = new ArrayList<>();
    long d = c.hiddenSize();
    long hd = (long) c.numHeads() * c.headDim();
    p.add(ParamSpec.normal("gpt_neox.embed_in.weight", STD, c.vocabSize(), d));
    for (int i = 0; i < c.numLayers(); i++) {
      String l = "gpt_neox.layers." + i;
      Modules.addNorm(p, normKind(), l + ".input_layernorm", d);
      Modules.addNorm(p, normKind(), l + ".post_attention_layernorm", d);
      Modules.addLinear(p, l + ".attention.query_key_value", 3 * hd, d, c.qkvBias(), STD, false);
      Modules.addLinear(p, l + ".attention.dense", d, hd, c.attnOutBias(), STD, false);
      long f = c.intermediateSize();
      Modules.addLinear(p, l + ".mlp.dense_h_to_4h", f, d, c.mlpBias(), STD, false);
      Modules.addLinear(p, l + ".mlp.dense_4h_to_h", d, f, c.mlpBias(), STD, false);
    }
    Modules.addNorm(p, normKind(), "gpt_neox.final_layer_norm", d);
    if (!c.tieWordEmbeddings()) {
      p.add(ParamSpec.normal("embed_out.weight", STD, c.vocabSize(), d));
    }
    return p;
  }

  @Override
  public Block block(ModelConfig c, int i, Map<String, NDArray> p) {
    String l = "gpt_neox.layers." + i;
    Attention attn =
        new Attention(
            i,
            Attention.QkvLayout.FUSED_PER_HEAD,
            List.of(Modules.linear(p, l + ".attention.query_key_value", false)),
            Modules.linear(p, l + ".attention.dense", false),
            c.numHeads(),
            c.numHeads(),
            c.headDim(),
            c.rotaryDims(),
            1.0 / Math.sqrt(c.headDim()));
    Mlp mlp =
        new Mlp(
            null,
            Modules.linear(p, l + ".mlp.dense_h_to_4h", false),
            Modules.linear(p, l + ".mlp.dense_4h_to_h", false),
            c.activation());
    return new Block(
        Modules.norm(c, p, l + ".input_layernorm"),
        attn,
        Modules.norm(c, p, l + ".post_attention_layernorm"),
        mlp,
        c.residual());
  }

  @Override
  public String tokenEmbedding() {
    return "gpt_neox.embed_in.weight";
  }

  @Override
  public String positionEmbedding() {
    return null;
  }

  @Override
  public List<String> finalNorm() {
    return List.of("gpt_neox.final_layer_norm.weight", "gpt_neox.final_layer_norm.bias");
  }

  @Override
  public String lmHead() {
    return "embed_out.weight";
  }

  @Override
  public String backbonePrefix() {
    return "gpt_neox.";
  }

  @Override
  public Predicate<String> ignoredKeys() {
    return k ->
        k.endsWith(".attention.bias")
            || k.endsWith(".attention.masked_bias")
            || k.endsWith(".rotary_emb.inv_freq");
  }

  @Override
  public ModelConfig.Builder readHfConfig(String modelType, JsonObject j) {
    int d = req(j, "hidden_size");
    int heads = req(j, "num_attention_heads");
    boolean bias = bool(j, "attention_bias", true);
    return ModelConfig.builder(this)
        .modelType(modelType)
        .vocabSize(req(j, "vocab_size"))
        .hiddenSize(d)
        .numLayers(req(j, "num_hidden_layers"))
        .numHeads(heads)
        .numKvHeads(heads)
        .headDim(d / Math.max(heads, 1))
        .intermediateSize(req(j, "intermediate_size"))
        .maxPositions(intOr(j, "max_position_embeddings", 2048))
        .normEps(dbl(j, "layer_norm_eps", 1e-5))
        .activation(Activation.fromHfName(str(j, "hidden_act", "gelu")))
        .ropeTheta(HfJson.ropeTheta(j, dbl(j, "rotary_emb_base", 10000)))
        .rotaryPct(HfJson.ropeDouble(j, "partial_rotary_factor", dbl(j, "rotary_pct", 0.25)))
        .ropeScaling(HfJson.ropeScaling(j))
        .residual(
            bool(j, "use_parallel_residual", true)
                ? ResidualLayout.PARALLEL
                : ResidualLayout.SEQUENTIAL)
        .tieWordEmbeddings(bool(j, "tie_word_embeddings", false))
        .qkvBias(bias)
        .attnOutBias(bias)
        .mlpBias(true);
  }

  @Override
  public void writeHfConfig(ModelConfig c, JsonObject j) {
    HfJson.writeArchitectures(j, causalLmClass(c.modelType()));
    HfJson.writeCommon(j, c);
    j.addProperty("layer_norm_eps", c.normEps());
    j.addProperty("rotary_pct", c.rotaryPct());
    j.addProperty("rotary_emb_base", c.ropeTheta());
    j.addProperty("rope_theta", c.ropeTheta());
    j.addProperty("use_parallel_residual", c.residual() == ResidualLayout.PARALLEL);
    j.addProperty("attention_bias", c.qkvBias());
    HfJson.writeRopeScaling(j, c.ropeScaling());
  }

  @Override
  public String causalLmClass(String modelType) {
    return "GPTNeoXForCausalLM";
  }

  @Override
  public String sequenceClassificationClass(String modelType) {
    return "GPTNeoXForSequenceClassification";
  }

  @Override
  public List<String> defaultLoraTargets() {
    return List.of("query_key_value");
  }

  @Override
  public ActivationFactors activationFactors() {
    return new ActivationFactors(4, 2, 16, 4, 4, 1);
  }

  @Override
  public String toString() {
    return name();
  }
}
