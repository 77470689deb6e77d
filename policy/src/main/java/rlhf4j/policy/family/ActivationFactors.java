package rlhf4j.policy.family;

/**
 * Float32 elements one block keeps per token, as multiples of the width D and the MLP width I
 * (measured on this implementation), for {@code rlhf4j.policy.memory.ActivationEstimate}. Attention
 * scores (B·H·T²) count 1 saved, 4 in a no-grad pass and 2 in flight for every family.
 *
 * @param savedD saved for the backward, per token, times D
 * @param savedInner saved for the backward, per token, times I
 * @param allD everything a no-grad pass allocates, per token, times D
 * @param allInner everything a no-grad pass allocates, per token, times I
 * @param inFlightD gradients alive during one block's backward, per token, times D
 * @param inFlightInner gradients alive during one block's backward, per token, times I
 */
public record ActivationFactors(
    double savedD,
    double savedInner,
    double allD,
    double allInner,
    double inFlightD,
    double inFlightInner) {}
