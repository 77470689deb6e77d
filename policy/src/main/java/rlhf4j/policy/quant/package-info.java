/**
 * Lean-memory storage of a frozen base model: {@link rlhf4j.policy.quant.BaseDtype} (fp32, fp16,
 * int8), {@link rlhf4j.policy.quant.QuantConfig} and {@link rlhf4j.policy.quant.QuantizedWeight}.
 * As PEFT's {@code prepare_model_for_kbit_training} prescribes, only the frozen projections are
 * stored below float32; norms, biases, position embeddings (and by default token embeddings and the
 * LM head), LoRA weights and the value head stay float32, and all compute is float32.
 *
 * <p>Mixed-precision compute (autocast) is not offered: DJL 0.35.1 casts ({@code toType}) run
 * without autograd, so casting activations down and back would cut the graph, and fp16 compute on
 * this CPU is about 150× slower than fp32 while bf16 arrays abort the JVM. Storing the base in fp16
 * works on any device; a GPU fp16/bf16 compute path would need an autocast-aware engine and is
 * unverified.
 *
 * <p>Under autograd the float32 copy a quantised layer widens for its matmul is held by the graph
 * until the backward (it is needed for the input gradient, and DJL has no custom autograd to
 * recompute it), so a quantised base saves memory during training mainly together with gradient
 * checkpointing ({@link rlhf4j.policy.model.CausalLM#backward}), which keeps one block's graph at a
 * time; in no-grad passes (rollouts, reference log-probs) the copy is freed right after use.
 */
package rlhf4j.policy.quant;
