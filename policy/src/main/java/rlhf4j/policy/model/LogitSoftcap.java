package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;

/**
 * Logit soft-capping, {@code cap · tanh(logits / cap)}, as transformers' modeling_gemma3.py {@code
 * Gemma3ForCausalLM.forward} applies {@code final_logit_softcapping}: {@code logits = logits / cap;
 * logits = torch.tanh(logits); logits = logits * cap}.
 */
final class LogitSoftcap {
  private LogitSoftcap() {}

  /** {@code logits} capped at ±{@code cap}, or unchanged when {@code cap} is 0 (none). */
  static NDArray apply(NDArray logits, double cap) {
    return cap > 0 ? Scalars.mul(Scalars.div(logits, cap).tanh(), cap) : logits;
  }
}
