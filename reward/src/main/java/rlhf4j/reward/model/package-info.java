/**
 * Learned reward models: a transformer backbone with a scalar score head ({@link
 * rlhf4j.reward.model.RewardModel}, HF's {@code *ForSequenceClassification} with {@code
 * num_labels=1}), trained on preference pairs with the Bradley–Terry loss ({@link
 * rlhf4j.reward.model.RewardTrainer}, {@link rlhf4j.reward.model.PairwiseLoss}) from JSONL data
 * ({@link rlhf4j.reward.model.PreferenceData}).
 *
 * <p>Shape legend: B sequences (or pairs), T tokens, D width, V vocabulary.
 */
package rlhf4j.reward.model;
