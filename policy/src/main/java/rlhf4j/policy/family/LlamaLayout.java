package rlhf4j.policy.family;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.model.Attention;
import rlhf4j.policy.model.Block;
import rlhf4j.policy.model.Mlp;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.Norm;
import rlhf4j.policy.model.ParamSpec;

/**
 * The parameter specs and attention module the Llama-derived families (Llama / Mistral / Qwen2,
 * Qwen3, OLMo 2, Gemma 3, Phi-3) lay out alike: {@code model.embed_tokens}, separate {@code
 * self_attn.{q,k,v,o}_proj}, the gated {@code mlp.{gate,up,down}_proj}, {@code model.norm} and an
 * untied {@code lm_head}. Each family adds its own norms around them, in its own order (the order
 * of the specs is the order of the seeded init).
 */
final class LlamaLayout {
  private LlamaLayout() {}

  /** {@code model.embed_tokens.weight}, normal(0, std). */
  static void addEmbedding(List<ParamSpec> p, ModelConfig c, double std) {
    p.add(ParamSpec.normal("model.embed_tokens.weight", std, c.vocabSize(), c.hiddenSize()));
  }

  /** q/k/v projections (bias: qkvBias) and o_proj (bias: attnOutBias) of layer prefix {@code l}. */
  static void addAttention(List<ParamSpec> p, ModelConfig c, String l, double std) {
    long d = c.hiddenSize();
    long q = (long) c.numHeads() * c.headDim();
    long kv = (long) c.numKvHeads() * c.headDim();
    Modules.addLinear(p, l + ".self_attn.q_proj", q, d, c.qkvBias(), std, false);
    Modules.addLinear(p, l + ".self_attn.k_proj", kv, d, c.qkvBias(), std, false);
    Modules.addLinear(p, l + ".self_attn.v_proj", kv, d, c.qkvBias(), std, false);
    Modules.addLinear(p, l + ".self_attn.o_proj", d, q, c.attnOutBias(), std, false);
  }

  /** gate/up/down projections (bias: mlpBias) of layer prefix {@code l}. */
  static void addGatedMlp(List<ParamSpec> p, ModelConfig c, String l, double std) {
    long d = c.hiddenSize();
    long f = c.intermediateSize();
    Modules.addLinear(p, l + ".mlp.gate_proj", f, d, c.mlpBias(), std, false);
    Modules.addLinear(p, l + ".mlp.up_proj", f, d, c.mlpBias(), std, false);
    Modules.addLinear(p, l + ".mlp.down_proj", d, f, c.mlpBias(), std, false);
  }

  /** {@code model.norm} and, unless tied, {@code lm_head.weight}. */
  static void addFinalNormAndHead(List<ParamSpec> p, ModelConfig c, double std) {
    Modules.addNorm(p, c.normKind(), "model.norm", c.hiddenSize());
    if (!c.tieWordEmbeddings()) {
      p.add(ParamSpec.normal("lm_head.weight", std, c.vocabSize(), c.hiddenSize()));
    }
  }

  /**
   * Attention over separate q/k/v projections of layer {@code i}, scores scaled by {@link
   * ModelConfig#attentionScale()} (head_dim^-0.5, or Gemma 3's query_pre_attn_scalar^-0.5), with
   * optional q/k norms and the layer's sliding window.
   */
  static Attention separateAttention(
      ModelConfig c,
      Map<String, NDArray> p,
      int i,
      Norm qNorm,
      Norm kNorm,
      Attention.QkNormScope scope) {
    String l = "model.layers." + i;
    return new Attention(
        i,
        Attention.QkvLayout.SEPARATE,
        List.of(
            Modules.linear(p, l + ".self_attn.q_proj", false),
            Modules.linear(p, l + ".self_attn.k_proj", false),
            Modules.linear(p, l + ".self_attn.v_proj", false)),
        Modules.linear(p, l + ".self_attn.o_proj", false),
        c.numHeads(),
        c.numKvHeads(),
        c.headDim(),
        c.rotaryDims(),
        c.attentionScale(),
        qNorm,
        kNorm,
        scope,
        c.slidingLayer(i));
  }

  /**
   * The pre-norm block: {@code input_layernorm} before attention, {@code post_attention_layernorm}
   * before the MLP, each added back to the residual stream ({@code c.residual()}).
   */
  static Block preNormBlock(ModelConfig c, Map<String, NDArray> p, int i, Attention attn, Mlp mlp) {
    String l = "model.layers." + i;
    return new Block(
        Modules.norm(c, p, l + ".input_layernorm"),
        attn,
        Modules.norm(c, p, l + ".post_attention_layernorm"),
        mlp,
        c.residual());
  }
}
