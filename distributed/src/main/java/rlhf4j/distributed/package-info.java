/**
 * Rollouts on Apache Spark: a {@link rlhf4j.distributed.SparkRolloutSource} splits a step's prompts
 * over Spark executors; each executor JVM loads the frozen base model once ({@link
 * rlhf4j.distributed.ExecutorPolicy}) and per step receives only the trainable adapter (and value
 * head) as PEFT safetensors bytes ({@link rlhf4j.distributed.AdapterPayload}), generates with
 * per-prompt seeds, computes the reference log-probs with adapters off and the reward, and sends
 * per-token arrays back ({@link rlhf4j.distributed.RolloutRow}). Optionally the GRPO update runs
 * data-parallel too ({@link rlhf4j.distributed.SparkGradientSource}): executors compute the
 * adapter's gradients of their share of each optimizer step's mini-batches, the driver sums them,
 * clips and steps.
 *
 * <p>Shapes: B sequences, P prompt tokens, T response tokens.
 */
package rlhf4j.distributed;
