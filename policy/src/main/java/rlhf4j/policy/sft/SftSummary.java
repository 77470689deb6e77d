package rlhf4j.policy.sft;

/**
 * The outcome of one {@link SftTrainer} run.
 *
 * @param steps optimizer steps taken
 * @param epochs passes over the data begun (the last one may be partial with {@code maxSteps})
 * @param firstLoss loss of the first step (before any update)
 * @param finalLoss loss of the last step (measured before its update)
 * @param tokens real (unpadded) input tokens processed
 * @param seconds wall-clock seconds of the loop
 */
public record SftSummary(
    long steps, int epochs, double firstLoss, double finalLoss, long tokens, double seconds) {}
