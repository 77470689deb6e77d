package rlhf4j.policy.model;

/** How a block adds attention and MLP to its residual stream, and where its norms sit. */
public enum ResidualLayout {
  /** {@code h = x + attn(norm1(x)); h + mlp(norm2(h))} (GPT-2, Llama). */
  SEQUENTIAL,
  /** {@code x + attn(norm1(x)) + mlp(norm2(x))} (GPT-NeoX's use_parallel_residual). */
  PARALLEL,
  /**
   * {@code h = x + norm1(attn(x)); h + norm2(mlp(h))}: norms on the outputs, none on the inputs
   * (OLMo 2, modeling_olmo2.py {@code Olmo2DecoderLayer.forward}).
   */
  POST_NORM,
  /**
   * {@code h = x + postAttn(attn(norm1(x))); h + postMlp(mlp(norm2(h)))}: four norms per block
   * (Gemma 3, modeling_gemma3.py {@code Gemma3DecoderLayer.forward}).
   */
  SANDWICH
}
