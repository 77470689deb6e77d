/**
 * Remote scoring over HTTP JSON: {@link rlhf4j.reward.remote.RemoteRewardFunction} posts {@code
 * {"prompts": [...], "responses": [...]}} and reads {@code {"scores": [...]}}, with timeouts,
 * retries with exponential backoff, batch splitting and bounded concurrency ({@link
 * rlhf4j.reward.remote.RemoteScorerConfig}). {@link rlhf4j.reward.remote.ReferenceScorerServer}
 * serves the same protocol on loopback for tests and examples, with fault injection.
 */
package rlhf4j.reward.remote;
