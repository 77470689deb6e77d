package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * GPT-NeoX / Pythia ({@code GPTNeoXForCausalLM}): names under {@code gpt_neox.}, head embed_out.
 */
final class NeoxArchitecture implements Architecture {
  private static final double STD = 0.02;

  @Override
  public List<ParamSpec> parameters(ModelConfig c) {
    List<ParamSpec> p = new ArrayList<>();
    long d = c.hiddenSize();
    long hd = (long) c.numHeads() * c.headDim();
    p.add(ParamSpec.normal("gpt_neox.embed_in.weight", STD, c.vocabSize(), d));
    for (int i = 0; i < c.numLayers(); i++) {
      String l = "gpt_neox.layers." + i;
      p.add(ParamSpec.ones(l + ".input_layernorm.weight", d));
      p.add(ParamSpec.zeros(l + ".input_layernorm.bias", d));
      p.add(ParamSpec.ones(l + ".post_attention_layernorm.weight", d));
      p.add(ParamSpec.zeros(l + ".post_attention_layernorm.bias", d));
      Architecture.addLinear(
          p, l + ".attention.query_key_value", 3 * hd, d, c.qkvBias(), STD, false);
      Architecture.addLinear(p, l + ".attention.dense", d, hd, c.attnOutBias(), STD, false);
      long f = c.intermediateSize();
      Architecture.addLinear(p, l + ".mlp.dense_h_to_4h", f, d, c.mlpBias(), STD, false);
      Architecture.addLinear(p, l + ".mlp.dense_4h_to_h", d, f, c.mlpBias(), STD, false);
    }
    p.add(ParamSpec.ones("gpt_neox.final_layer_norm.weight", d));
    p.add(ParamSpec.zeros("gpt_neox.final_layer_norm.bias", d));
    if (!c.tieWordEmbeddings()) {
      p.add(ParamSpec.normal("embed_out.weight", STD, c.vocabSize(), d));
    }
    return p;
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
  public Block block(ModelConfig c, int i, Map<String, NDArray> p) {
    String l = "gpt_neox.layers." + i;
    Attention attn =
        new Attention(
            i,
            Attention.QkvLayout.FUSED_PER_HEAD,
            List.of(Architecture.linear(p, l + ".attention.query_key_value", false)),
            Architecture.linear(p, l + ".attention.dense", false),
            c.numHeads(),
            c.numHeads(),
            c.headDim(),
            c.rotaryDims(),
            1.0 / Math.sqrt(c.headDim()));
    Mlp mlp =
        new Mlp(
            null,
            Architecture.linear(p, l + ".mlp.dense_h_to_4h", false),
            Architecture.linear(p, l + ".mlp.dense_4h_to_h", false),
            c.activation());
    return new Block(
        Architecture.norm(c, p, l + ".input_layernorm", false),
        attn,
        Architecture.norm(c, p, l + ".post_attention_layernorm", false),
        mlp,
        c.parallelResidual());
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
  public String[] finalNorm() {
    return new String[] {"gpt_neox.final_layer_norm.weight", "gpt_neox.final_layer_norm.bias"};
  }

  @Override
  public String lmHead() {
    return "embed_out.weight";
  }
}
