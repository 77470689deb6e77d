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
 * GPT-2 ({@code GPT2LMHeadModel}): names under {@code transformer.}, Conv1D weights stored (in,
 * out), fused {@code c_attn}, learned positions, LayerNorm, tied head.
 */
final class Gpt2Architecture implements Architecture {
  private static final double STD = 0.02; // HF initializer_range

  @Override
  public String name() {
    return "gpt2";
  }

  @Override
  public List<String> modelTypes() {
    return List.of("gpt2");
  }

  /** transformers' {@code GPT2Config()} defaults (GPT-2 small). */
  @Override
  public ModelConfig.Builder defaults(ModelConfig.Builder b) {
    return b.vocabSize(50257) // vocab_size
        .maxPositions(1024) // n_positions
        .hiddenSize(768) // n_embd
        .numLayers(12) // n_layer
        .numHeads(12) // n_head; n_inner None = 4·n_embd
        .activation(Activation.GELU_NEW) // activation_function
        .normEps(1e-5) // layer_norm_epsilon
        .ropeTheta(10000) // unused: learned positions
        .rotaryPct(1.0)
        .residual(ResidualLayout.SEQUENTIAL)
        .tieWordEmbeddings(true) // PretrainedConfig default; GPT-2 always ties
        .qkvBias(true) // Conv1D layers always have biases
        .attnOutBias(true)
        .mlpBias(true)
        .scaleAttnByInverseLayerIdx(false)
        .bosTokenId(50256)
        .eosTokenId(50256)
        .padTokenId(-1);
  }

  /** Rules of GPT-2's fixed layout: fused c_attn of width 3·D, no GQA, tied head. */
  @Override
  public void validate(ModelConfig c) {
    FamilyRules.requirePlainAttention(c);
    FamilyRules.requireNoLongRope(c);
    FamilyRules.requireNoSliding(c);
    FamilyRules.requireOneRopeBase(c);
    FamilyRules.requireResidual(c, ResidualLayout.SEQUENTIAL);
    if (c.numKvHeads() != c.numHeads()) {
      throw new IllegalArgumentException(
          "GPT-2 has no grouped-query attention: numKvHeads must equal numHeads, got "
              + c.numKvHeads()
              + " and "
              + c.numHeads());
    }
    if (!c.tieWordEmbeddings()) {
      throw new IllegalArgumentException(
          "GPT-2 ties its LM head to the token embedding: tieWordEmbeddings must be true, got"
              + " false");
    }
    if (c.numHeads() * c.headDim() != c.hiddenSize()) {
      throw new IllegalArgumentException(
          "GPT-2 needs hiddenSize divisible by numHeads, got "
              + c.hiddenSize()
              + " and "
              + c.numHeads());
    }
  }

  @Override
  public NormKind normKind() {
    return NormKind.LAYER_NORM;
  }

  @Override
  public PositionKind positionKind() {
    return PositionKind.LEARNED;
  }

  @Override
  public List<ParamSpec> parameters(ModelConfig c) {
    List<ParamSpec> p = new ArrayList<>();
    long d = c.hiddenSize();
    p.add(ParamSpec.normal("transformer.wte.weight", STD, c.vocabSize(), d));
    p.add(ParamSpec.normal("transformer.wpe.weight", STD / 2, c.maxPositions(), d));
    double projStd = STD / Math.sqrt(2.0 * c.numLayers());
    for (int i = 0; i < c.numLayers(); i++) {
      String h = "transformer.h." + i;
      Modules.addNorm(p, normKind(), h + ".ln_1", d);
      Modules.addLinear(p, h + ".attn.c_attn", 3 * d, d, true, STD, true);
      Modules.addLinear(p, h + ".attn.c_proj", d, d, true, projStd, true);
      Modules.addNorm(p, normKind(), h + ".ln_2", d);
      Modules.addLinear(p, h + ".mlp.c_fc", c.intermediateSize(), d, true, STD, true);
      Modules.addLinear(p, h + ".mlp.c_proj", d, c.intermediateSize(), true, projStd, true);
    }
    Modules.addNorm(p, normKind(), "transformer.ln_f", d);
    return p;
  }

  @Override
  public Block block(ModelConfig c, int i, Map<String, NDArray> p) {
    String h = "transformer.h." + i;
    double scale = 1.0 / Math.sqrt(c.headDim());
    if (c.scaleAttnByInverseLayerIdx()) {
      scale /= (i + 1);
    }
    Attention attn =
        new Attention(
            i,
            Attention.QkvLayout.FUSED,
            List.of(Modules.linear(p, h + ".attn.c_attn", true)),
            Modules.linear(p, h + ".attn.c_proj", true),
            c.numHeads(),
            c.numHeads(),
            c.headDim(),
            0,
            scale);
    Mlp mlp =
        new Mlp(
            null,
            Modules.linear(p, h + ".mlp.c_fc", true),
            Modules.linear(p, h + ".mlp.c_proj", true),
            c.activation());
    return new Block(
        Modules.norm(c, p, h + ".ln_1"), attn, Modules.norm(c, p, h + ".ln_2"), mlp, c.residual());
  }

  @Override
  public String tokenEmbedding() {
    return "transformer.wte.weight";
  }

  @Override
  public String positionEmbedding() {
    return "transformer.wpe.weight";
  }

  @Override
  public List<String> finalNorm() {
    return List.of("transformer.ln_f.weight", "transformer.ln_f.bias");
  }

  @Override
  public String lmHead() {
    return "lm_head.weight";
  }

  @Override
  public String backbonePrefix() {
    return "transformer.";
  }

  @Override
  public Predicate<String> ignoredKeys() {
    return k -> k.endsWith(".attn.bias") || k.endsWith(".attn.masked_bias");
  }

  @Override
  public ModelConfig.Builder readHfConfig(String modelType, JsonObject j) {
    if (!bool(j, "scale_attn_weights", true)) {
      throw new IllegalArgumentException(
          "scale_attn_weights=false is not supported (set it to true)");
    }
    int d = req(j, "n_embd");
    int heads = req(j, "n_head");
    return ModelConfig.builder(this)
        .modelType(modelType)
        .vocabSize(req(j, "vocab_size"))
        .hiddenSize(d)
        .numLayers(req(j, "n_layer"))
        .numHeads(heads)
        .numKvHeads(heads)
        .headDim(d / Math.max(heads, 1))
        .intermediateSize(intOr(j, "n_inner", 4 * d))
        .maxPositions(intOr(j, "n_positions", 1024))
        .normEps(dbl(j, "layer_norm_epsilon", 1e-5))
        .activation(Activation.fromHfName(str(j, "activation_function", "gelu_new")))
        .scaleAttnByInverseLayerIdx(bool(j, "scale_attn_by_inverse_layer_idx", false));
  }

  @Override
  public void writeHfConfig(ModelConfig c, JsonObject j) {
    HfJson.writeArchitectures(j, causalLmClass(c.modelType()));
    j.addProperty("n_embd", c.hiddenSize());
    j.addProperty("n_layer", c.numLayers());
    j.addProperty("n_head", c.numHeads());
    j.addProperty("n_inner", c.intermediateSize());
    j.addProperty("n_positions", c.maxPositions());
    j.addProperty("layer_norm_epsilon", c.normEps());
    j.addProperty("activation_function", c.activation().hfName());
    j.addProperty("scale_attn_by_inverse_layer_idx", c.scaleAttnByInverseLayerIdx());
    j.addProperty("scale_attn_weights", true);
    j.addProperty("tie_word_embeddings", true);
  }

  @Override
  public String causalLmClass(String modelType) {
    return "GPT2LMHeadModel";
  }

  @Override
  public String sequenceClassificationClass(String modelType) {
    return "GPT2ForSequenceClassification";
  }

  @Override
  public List<String> defaultLoraTargets() {
    return List.of("c_attn");
  }

  @Override
  public ActivationFactors activationFactors() {
    return new ActivationFactors(5, 4, 20, 9, 4, 2);
  }

  @Override
  public String toString() {
    return name();
  }
}
