/**
 * The maths of TRL's {@code GRPOTrainer} (TRL v1.9, {@code trl/trainer/grpo_trainer.py}): group
 * advantages from several reward functions, the clipped token- or sequence-level loss with its four
 * normalisers, the validated {@link rlhf4j.ppo.grpo.GrpoConfig}, and the trainer that runs them,
 * {@link rlhf4j.ppo.grpo.GrpoTrainer}.
 *
 * <p>Shape legend: N completions in a generation batch (N = prompts x G), G completions per prompt
 * ({@code num_generations}), K reward functions, B completions in a (micro-)batch, T completion
 * positions. Masks are 0/1 arrays of shape (B, T). Reward maths runs on plain Java arrays; the loss
 * runs on DJL {@link ai.djl.ndarray.NDArray}s with autograd and owns no manager or scope.
 */
package rlhf4j.ppo.grpo;
