package rlhf4j.reward.model;

import java.util.Objects;

/**
 * One human (or synthetic) preference: two completions of the same prompt, {@code chosen} preferred
 * over {@code rejected}. The scored sequences are {@code prompt + chosen} and {@code prompt +
 * rejected}.
 *
 * @param prompt the shared prompt, "" for none (prompt already inside the completions)
 * @param chosen the preferred completion
 * @param rejected the other completion
 * @param margin how much higher chosen should score (TRL's optional {@code margin}); 0 for none
 * @param chat whether the texts were rendered by the model's chat template from message lists (they
 *     carry the template's special tokens, so they are encoded without the tokenizer's own, as
 *     transformers' {@code apply_chat_template} encodes them)
 */
public record PreferencePair(
    String prompt, String chosen, String rejected, double margin, boolean chat) {

  /** Validates. */
  public PreferencePair {
    Objects.requireNonNull(prompt, "prompt (use \"\" for none)");
    Objects.requireNonNull(chosen, "chosen");
    Objects.requireNonNull(rejected, "rejected");
    if (!Double.isFinite(margin)) {
      throw new IllegalArgumentException("margin must be finite, got " + margin);
    }
  }

  /** A plain-text pair. */
  public PreferencePair(String prompt, String chosen, String rejected, double margin) {
    this(prompt, chosen, rejected, margin, false);
  }

  /** A pair without margin. */
  public static PreferencePair of(String prompt, String chosen, String rejected) {
    return new PreferencePair(prompt, chosen, rejected, 0);
  }
}
