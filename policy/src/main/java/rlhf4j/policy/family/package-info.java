/**
 * Model families: one {@link rlhf4j.policy.family.Architecture} per family (GPT-2, the Llama family
 * with Mistral and Qwen2, GPT-NeoX) owns everything family-specific: parameter names, block layout,
 * norm and position kinds, residual layout, HF config.json fields and class names, default LoRA
 * targets. {@link rlhf4j.policy.family.Architectures} lists them by HF {@code model_type}; {@link
 * rlhf4j.policy.family.Presets} names tiny and small shapes for tests and examples.
 *
 * <p>Dependencies: this package builds on {@code rlhf4j.policy.model} (blocks, {@code
 * ModelConfig}); the model reaches a family only through the {@link rlhf4j.policy.model.Family}
 * interface that every architecture implements, so the model never depends on this package.
 */
package rlhf4j.policy.family;
