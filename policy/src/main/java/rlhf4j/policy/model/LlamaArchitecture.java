package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Llama / Mistral / Qwen2 ({@code LlamaForCausalLM} layout): names under {@code model.}. */
final class LlamaArchitecture implements Architecture {
  private static final double STD = 0.02;

  @Override
  public List<ParamSpec> parameters(ModelConfig c) {
    List<ParamSpec> p = new ArrayList<>();
    long d = c.hiddenSize();
    long q = (long) c.numHeads() * c.headDim();
    long kv = (long) c.numKvHeads() * c.headDim();
    p.add(ParamSpec.normal("model.embed_tokens.weight", STD, c.vocabSize(), d));
    for (int i = 0; i < c.numLayers(); i++) {
      String l = "model.layers." + i;
      p.add(ParamSpec.ones(l + ".input_layernorm.weight", d));
      Architecture.addLinear(p, l + ".self_attn.q_proj", q, d, c.qkvBias(), STD, false);
      Architecture.addLinear(p, l + ".self_attn.k_proj", kv, d, c.qkvBias(), STD, false);
      Architecture.addLinear(p, l + ".self_attn.v_proj", kv, d, c.qkvBias(), STD, false);
      Architecture.addLinear(p, l + ".self_attn.o_proj", d, q, c.attnOutBias(), STD, false);
      p.add(ParamSpec.ones(l + ".post_attention_layernorm.weight", d));
      long f = c.intermediateSize();
      Architecture.addLinear(p, l + ".mlp.gate_proj", f, d, c.mlpBias(), STD, false);
      Architecture.addLinear(p, l + ".mlp.up_proj", f, d, c.mlpBias(), STD, false);
      Architecture.addLinear(p, l + ".mlp.down_proj", d, f, c.mlpBias(), STD, false);
    }
    p.add(ParamSpec.ones("model.norm.weight", d));
    if (!c.tieWordEmbeddings()) {
      p.add(ParamSpec.normal("lm_head.weight", STD, c.vocabSize(), d));
    }
    return p;
  }

  @Override
  public String backbonePrefix() {
    return "model.";
  }

  @Override
  public Predicate<String> ignoredKeys() {
    return k -> k.endsWith(".rotary_emb.inv_freq");
  }

  @Override
  public Block block(ModelConfig c, int i, Map<String, NDArray> p) {
    String l = "model.layers." + i;
    Attention attn =
        new Attention(
            i,
            Attention.QkvLayout.SEPARATE,
            List.of(
                Architecture.linear(p, l + ".self_attn.q_proj", false),
                Architecture.linear(p, l + ".self_attn.k_proj", false),
                Architecture.linear(p, l + ".self_attn.v_proj", false)),
            Architecture.linear(p, l + ".self_attn.o_proj", false),
            c.numHeads(),
            c.numKvHeads(),
            c.headDim(),
            c.rotaryDims(),
            1.0 / Math.sqrt(c.headDim()));
    Mlp mlp =
        new Mlp(
            Architecture.linear(p, l + ".mlp.gate_proj", false),
            Architecture.linear(p, l + ".mlp.up_proj", false),
            Architecture.linear(p, l + ".mlp.down_proj", false),
            c.activation());
    return new Block(
        Architecture.norm(c, p, l + ".input_layernorm", true),
        attn,
        Architecture.norm(c, p, l + ".post_attention_layernorm", true),
        mlp,
        false);
  }

  @Override
  public String tokenEmbedding() {
    return "model.embed_tokens.weight";
  }

  @Override
  public String positionEmbedding() {
    return null;
  }

  @Override
  public String[] finalNorm() {
    return new String[] {"model.norm.weight", null};
  }

  @Override
  public String lmHead() {
    return "lm_head.weight";
  }
}
