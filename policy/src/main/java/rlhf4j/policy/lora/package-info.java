/**
 * LoRA adapters (Hu et al. 2021) on {@link rlhf4j.policy.model.CausalLM}, with PEFT's semantics and
 * on-disk format: {@link rlhf4j.policy.lora.LoraConfig}, {@link rlhf4j.policy.lora.LoraModel}
 * (inject, several named adapters, switch off, merge, save and load), {@link
 * rlhf4j.policy.lora.AdapterConfigFile}.
 *
 * <p>Shapes: A (r, in), B (out, r), ΔW = B·A·scaling (out, in); x (..., in).
 */
package rlhf4j.policy.lora;
