/**
 * Supervised fine-tuning (SFT): next-token cross-entropy on token sequences or prompt/completion
 * pairs, as TRL's {@code SFTTrainer} does before reward modelling and PPO.
 *
 * <p>The trainer takes the trainable arrays from the caller ({@code Map<String, NDArray>}, by
 * default every base parameter: full fine-tuning), so LoRA adapters or frozen layers plug in
 * without changes. Each step runs in its own {@code NDScope}; optimizer state lives outside it.
 *
 * <p>Shape legend: B rows in a batch, T tokens per row (after right padding or packing), V
 * vocabulary. Targets are shifted: position t predicts token t+1, so per-target arrays are (B,
 * T-1).
 */
package rlhf4j.policy.sft;
