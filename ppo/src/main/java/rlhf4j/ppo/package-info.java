/**
 * Classic PPO for language models (TRL's {@code PPOTrainer}). {@link rlhf4j.ppo.PpoTrainer} runs
 * the step as numbered phases (1 rollout, 2 score, 3 reference log-probs, 4 KL-penalised rewards, 5
 * GAE and whitening, 6 epochs x mini-batches, 7 stats) over named pieces other on-policy trainers
 * can share: {@link rlhf4j.ppo.PromptOrder}, {@link rlhf4j.ppo.LogProbPass} and {@link
 * rlhf4j.ppo.PpoUpdate}; {@link rlhf4j.ppo.PpoCheckpoint} saves a run for exact resume.
 *
 * <p>The critic-free and preference trainers beside it ({@code grpo.GrpoTrainer}, {@code
 * rloo.RlooTrainer}, {@code reinforce.ReinforceTrainer}, {@code dpo.DpoTrainer}) share {@link
 * rlhf4j.ppo.PolicyTrainerBase} (built from a {@link rlhf4j.ppo.TrainerSetup} and a {@link
 * rlhf4j.ppo.RunConfig}), {@link rlhf4j.ppo.GroupedSteps} (prompts, G completions each, scores),
 * {@link rlhf4j.ppo.LogProbPass}, {@link rlhf4j.ppo.MiniBatchUpdate} (one optimizer step over
 * accumulated mini-batches) and {@link rlhf4j.ppo.TrainerCheckpoint}; PPO's and their checkpoints
 * write the trainables and optimizer state through {@link rlhf4j.ppo.TrainableFiles}.
 *
 * <p>Shape legend: B sequences, P prompt tokens, T response tokens, V vocabulary, D width.
 */
package rlhf4j.ppo;
