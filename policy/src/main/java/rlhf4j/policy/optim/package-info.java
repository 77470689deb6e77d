/**
 * Optimizers, learning-rate schedules and gradient clipping whose state we own, so that it can be
 * checkpointed and resumed bitwise.
 *
 * <p>Trainable parameters are passed as a {@code Map<String, NDArray>} (name to a leaf array with
 * {@code requiresGradient} set). Optimizers update them in place, outside any {@code
 * GradientCollector}, and keep their moments in the parameter's own {@code NDManager}, detached
 * from every {@code NDScope}, so a per-step scope around {@link rlhf4j.policy.optim.Optimizer#step}
 * frees only temporaries. Semantics follow {@code torch.optim} (AdamW, Adam, SGD), {@code
 * torch.nn.utils.clip_grad_norm_} and the warm-up schedules of HuggingFace transformers.
 *
 * <p>Shape legend: N elements of one parameter, NB quantisation blocks, BS block size.
 */
package rlhf4j.policy.optim;
