package rlhf4j.policy.model;

/** How a pre-norm block adds attention and MLP to its residual stream. */
public enum ResidualLayout {
  /** {@code h = x + attn(norm1(x)); h + mlp(norm2(h))} (GPT-2, Llama). */
  SEQUENTIAL,
  /** {@code x + attn(norm1(x)) + mlp(norm2(x))} (GPT-NeoX's use_parallel_residual). */
  PARALLEL
}
