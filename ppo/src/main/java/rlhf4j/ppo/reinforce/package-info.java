/**
 * REINFORCE++ advantages as OpenRLHF v0.11 computes them ({@code
 * openrlhf/trainer/ppo_utils/experience_maker.py}, {@code openrlhf/models/utils.py}), and {@link
 * rlhf4j.ppo.reinforce.ReinforceTrainer}.
 *
 * <p>Shape legend: B completions (B = prompts x samples per prompt, grouped contiguously), T
 * completion positions; masks are 0/1 of shape (B, T).
 */
package rlhf4j.ppo.reinforce;
