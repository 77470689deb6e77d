/**
 * LoRA adapters (Hu et al. 2021) on {@link rlhf4j.policy.model.CausalLM}, with PEFT's semantics and
 * on-disk format, split along PEFT's {@code tuners/lora}: {@link rlhf4j.policy.lora.LoraConfig},
 * {@link rlhf4j.policy.lora.LoraModel} (inject, several named adapters, switch off per thread,
 * merge, save and load; the public entry point), and package-private pieces behind it: {@code
 * LoraLayer} (one adapted module: A, B, scaling, dropout, forward, merge of itself), {@code
 * SavedModule} (modules_to_save), {@code LoraTargets} (which modules), {@code AdapterRegistry}
 * (named adapters, the active one, hooks), {@code AdapterSwitch} (adapters off per thread), {@code
 * LoraMerge}, and the PEFT files: {@code PeftAdapterFiles} (adapter_model.safetensors) and {@link
 * rlhf4j.policy.lora.AdapterConfigFile} (adapter_config.json).
 *
 * <p>Shapes: A (r, in), B (out, r), ΔW = B·A·scaling (out, in); x (..., in).
 */
package rlhf4j.policy.lora;
