/**
 * The pure maths of TRL's classic {@code PPOTrainer} (trl 0.7-0.11, {@code trl/core.py} and {@code
 * ppo_trainer.py}) as small static functions on DJL {@link ai.djl.ndarray.NDArray}s.
 *
 * <p>Shape legend: B sequences, T response positions, V vocabulary. Masks are 0/1 arrays of shape
 * (B, T) in any numeric or boolean type; position t of a row scores response token t, as in TRL's
 * {@code batched_forward_pass}. No function here owns a manager or scope: results join the manager
 * of their left operand, so callers wrap each step in an {@code NDScope}.
 */
package rlhf4j.ppo.math;
