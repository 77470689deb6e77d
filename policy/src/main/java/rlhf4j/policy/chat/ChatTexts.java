package rlhf4j.policy.chat;

import java.util.Objects;

/**
 * A conversation rendered for training: the prompt text (ending with the template's generation
 * prompt, e.g. {@code <|im_start|>assistant\n}) and the completion text that follows it, such that
 * {@code prompt + completion} is the whole conversation as the template renders it.
 *
 * @param prompt the rendered prompt
 * @param completion the rendered completion
 */
public record ChatTexts(String prompt, String completion) {
  public ChatTexts {
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(completion, "completion");
  }
}
