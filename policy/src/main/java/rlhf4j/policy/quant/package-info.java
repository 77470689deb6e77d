/**
 * Lean-memory storage of a frozen base model: {@link rlhf4j.policy.quant.BaseDtype} (fp32, fp16,
 * int8), {@link rlhf4j.policy.quant.QuantConfig} and {@link rlhf4j.policy.quant.QuantizedWeight}.
 * As PEFT's {@code prepare_model_for_kbit_training} prescribes, only the frozen projections are
 * stored below float32; norms, biases, position embeddings (and by default token embeddings and the
 * LM head), LoRA weights and the value head stay float32, and all compute is float32. {@link
 * rlhf4j.policy.quant.Gemm} is the y = x·Wᵀ + b kernel that float32 and quantised layers share; it
 * lives here so that {@code rlhf4j.policy.model} depends on this package and never the reverse.
 *
 * <p>Accuracy on the tiny GPT-2, Llama and GPT-NeoX fixtures (mean KL(p_fp32 ‖ p_quantised) per
 * position, tested bound 1e-3): fp16 about 1e-7; int8 per channel 1e-9 to 9e-5, block-wise (32) up
 * to 7e-5, with int8 embeddings and head up to 1.3e-4.
 *
 * <p>Merging a LoRA adapter into a quantised base is refused ({@code LoraModel.merge}): adding ΔW
 * would re-round every weight of the layer. Save the adapter and merge into the float32 base.
 *
 * <p>Mixed-precision compute (autocast) is not offered: DJL 0.35.1 casts ({@code toType}) run
 * without autograd, so casting activations down and back would cut the graph, and fp16 compute on
 * this CPU is about 150× slower than fp32 while bf16 arrays abort the JVM. Storing the base in fp16
 * works on any device; a GPU fp16/bf16 compute path would need an autocast-aware engine and is
 * unverified.
 *
 * <p>Under plain autograd the float32 copy a quantised layer widens for its matmul would be held by
 * the graph until the backward (the input gradient needs it), as much memory as a float32 base.
 * {@link rlhf4j.policy.model.CausalLM#backward} therefore computes quantised products without a
 * graph and their input gradients with {@link
 * rlhf4j.policy.quant.QuantizedWeight#linearInputGradient}, which dequantises again (DJL has no
 * custom autograd function, so the backward runs block by block and replays the quantised layers;
 * same gradients up to float32 summation order), with and without gradient checkpointing;
 * QuantizedBackwardTest measured on a 4-block int8 model: 66.5 MB of copies held by one graph, 6.9
 * MB at the peak of the staged backward, 4.2 MB checkpointed. A hand-written {@code
 * GradientCollector} over a quantised model still keeps the copies. In no-grad passes (rollouts,
 * reference log-probs) the copy is freed right after use.
 */
package rlhf4j.policy.quant;
