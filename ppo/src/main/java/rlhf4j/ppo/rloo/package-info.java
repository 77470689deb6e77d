/**
 * The maths of TRL's {@code RLOOTrainer} (TRL v1.9, {@code trl/trainer/rloo_trainer.py}): the
 * sequence-level k1 KL penalty, the leave-one-out baseline and the sequence-level clipped loss, and
 * {@link rlhf4j.ppo.rloo.RlooTrainer}.
 *
 * <p>Shape legend: N completions in a generation batch, G completions per prompt, B completions in
 * a micro-batch, T completion positions; masks are 0/1 of shape (B, T).
 */
package rlhf4j.ppo.rloo;
