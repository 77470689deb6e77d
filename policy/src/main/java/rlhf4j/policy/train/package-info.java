/**
 * Plumbing shared by every trainer (SFT, reward model, PPO and the critic-free trainers): engine
 * set-up, the seed scheme, the divergence check, metrics and progress.
 */
package rlhf4j.policy.train;
