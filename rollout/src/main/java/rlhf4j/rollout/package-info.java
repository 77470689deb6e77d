/**
 * Rollouts: batched generation from a policy ({@link rlhf4j.rollout.Generator}) and the {@link
 * rlhf4j.rollout.RolloutSource} seam through which a trainer gets them (locally, or from a remote
 * or distributed source).
 */
package rlhf4j.rollout;
