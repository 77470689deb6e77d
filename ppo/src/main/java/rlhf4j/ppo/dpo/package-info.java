/**
 * The maths of TRL's {@code DPOTrainer} (TRL v1.9, {@code trl/trainer/dpo_trainer.py}): the DPO
 * loss families {@code sigmoid}, {@code hinge}, {@code ipo} and {@code robust} on summed completion
 * log-probs, with TRL's reward metrics; {@link rlhf4j.ppo.dpo.DpoTrainer} trains on {@link
 * rlhf4j.ppo.dpo.DpoPair}s.
 *
 * <p>Shape legend: B preference pairs, T completion positions; masks are 0/1 of shape (B, T).
 */
package rlhf4j.ppo.dpo;
