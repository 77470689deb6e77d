/**
 * Score normalisation as in TRL's legacy {@code PPOTrainer}: {@link
 * rlhf4j.reward.norm.RunningMoments} tracks the running mean and variance of all scores seen, and
 * {@link rlhf4j.reward.norm.ScoreTransform} applies score scaling, score norm and clipping. Both
 * export their state as plain doubles for checkpoints.
 */
package rlhf4j.reward.norm;
