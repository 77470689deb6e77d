package rlhf4j.policy.lora;

import java.util.Locale;

/**
 * Trainable versus total parameter counts, printed like PEFT's {@code print_trainable_parameters}:
 * {@code trainable params: 589,824 || all params: 125,029,632 || trainable%: 0.4717}.
 *
 * @param trainable elements that receive gradients
 * @param total all elements (base plus every adapter; tied weights counted once)
 */
public record TrainableReport(long trainable, long total) {
  /** Checks the counts. */
  public TrainableReport {
    if (trainable < 0 || total < 0 || trainable > total) {
      throw new IllegalArgumentException(
          "need 0 <= trainable <= total, got " + trainable + " and " + total);
    }
  }

  /** 100 · trainable / total, or 0 for an empty model. */
  public double percent() {
    return total == 0 ? 0 : 100.0 * trainable / total;
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "trainable params: %,d || all params: %,d || trainable%%: %.4f",
        trainable,
        total,
        percent());
  }
}
