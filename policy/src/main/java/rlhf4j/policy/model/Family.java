package rlhf4j.policy.model;

/** The decoder architectures rlhf4j implements. */
public enum Family {
  /** GPT-2: learned positions, LayerNorm, fused c_attn (Conv1D layout), GELU-tanh, tied head. */
  GPT2,
  /** Llama, Mistral, Qwen2: RMSNorm, RoPE, grouped-query attention, SwiGLU MLP. */
  LLAMA,
  /** GPT-NeoX / Pythia: fused per-head q,k,v, partial rotary, optional parallel residual. */
  GPT_NEOX
}
