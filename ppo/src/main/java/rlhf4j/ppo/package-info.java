/**
 * Classic PPO for language models (TRL's {@code PPOTrainer}). {@link rlhf4j.ppo.PpoTrainer} runs
 * the step as numbered phases (1 rollout, 2 score, 3 reference log-probs, 4 KL-penalised rewards, 5
 * GAE and whitening, 6 epochs x mini-batches, 7 stats) over named pieces other on-policy trainers
 * can share: {@link rlhf4j.ppo.PromptOrder}, {@link rlhf4j.ppo.LogProbPass} and {@link
 * rlhf4j.ppo.PpoUpdate}; {@link rlhf4j.ppo.PpoCheckpoint} saves a run for exact resume.
 *
 * <p>Shape legend: B sequences, P prompt tokens, T response tokens, V vocabulary, D width.
 */
package rlhf4j.ppo;
