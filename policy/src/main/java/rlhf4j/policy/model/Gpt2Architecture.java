package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** GPT-2 ({@code GPT2LMHeadModel}): names under {@code transformer.}, Conv1D weights (in, out). */
final class Gpt2Architecture implements Architecture {
  private static final double STD = 0.02; // HF initializer_range

  @Override
  public List<ParamSpec> parameters(ModelConfig c) {
    List<ParamSpec> p = new ArrayList<>();
    long d = c.hiddenSize();
    p.add(ParamSpec.normal("transformer.wte.weight", STD, c.vocabSize(), d));
    p.add(ParamSpec.normal("transformer.wpe.weight", STD / 2, c.maxPositions(), d));
    double projStd = STD / Math.sqrt(2.0 * c.numLayers());
    for (int i = 0; i < c.numLayers(); i++) {
      String h = "transformer.h." + i;
      p.add(ParamSpec.ones(h + ".ln_1.weight", d));
      p.add(ParamSpec.zeros(h + ".ln_1.bias", d));
      Architecture.addLinear(p, h + ".attn.c_attn", 3 * d, d, true, STD, true);
      Architecture.addLinear(p, h + ".attn.c_proj", d, d, true, projStd, true);
      p.add(ParamSpec.ones(h + ".ln_2.weight", d));
      p.add(ParamSpec.zeros(h + ".ln_2.bias", d));
      Architecture.addLinear(p, h + ".mlp.c_fc", c.intermediateSize(), d, true, STD, true);
      Architecture.addLinear(p, h + ".mlp.c_proj", d, c.intermediateSize(), true, projStd, true);
    }
    p.add(ParamSpec.ones("transformer.ln_f.weight", d));
    p.add(ParamSpec.zeros("transformer.ln_f.bias", d));
    return p;
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
            List.of(Architecture.linear(p, h + ".attn.c_attn", true)),
            Architecture.linear(p, h + ".attn.c_proj", true),
            c.numHeads(),
            c.numHeads(),
            c.headDim(),
            0,
            scale);
    Mlp mlp =
        new Mlp(
            null,
            Architecture.linear(p, h + ".mlp.c_fc", true),
            Architecture.linear(p, h + ".mlp.c_proj", true),
            c.activation());
    return new Block(
        Architecture.norm(c, p, h + ".ln_1", false),
        attn,
        Architecture.norm(c, p, h + ".ln_2", false),
        mlp,
        false);
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
  public String[] finalNorm() {
    return new String[] {"transformer.ln_f.weight", "transformer.ln_f.bias"};
  }

  @Override
  public String lmHead() {
    return "lm_head.weight";
  }
}
