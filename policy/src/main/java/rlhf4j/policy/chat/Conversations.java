package rlhf4j.policy.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Conversational data rendered as TRL renders it (trl/data_utils.py {@code apply_chat_template}):
 * the prompt messages, which must end with a user turn, with the generation prompt, then prompt +
 * completion messages rendered whole, the completion being what follows the prompt (TRL's {@code
 * continue_final_message} for prompts ending with an assistant turn is not supported). Used for SFT
 * ({@code {"prompt": [...], "completion": [...]}} or {@code {"messages": [...]}} split at the last
 * assistant turn) and preference pairs ({@code {"prompt": [...], "chosen": [...], "rejected":
 * [...]}}).
 */
public final class Conversations {
  private Conversations() {}

  /**
   * The prompt and completion texts of a conversational prompt-completion example.
   *
   * @throws IllegalArgumentException if a list is empty, or the template renders the prompt
   *     differently inside the whole conversation (so no completion can be cut off after it)
   */
  public static ChatTexts promptCompletion(
      ChatTemplate template,
      List<? extends Map<String, ?>> prompt,
      List<? extends Map<String, ?>> completion) {
    if (prompt.isEmpty() || completion.isEmpty()) {
      throw new IllegalArgumentException(
          "a conversational example needs prompt and completion messages, got "
              + prompt.size()
              + " and "
              + completion.size());
    }
    String promptText = renderPrompt(template, prompt);
    List<Map<String, ?>> all = new ArrayList<>(prompt);
    all.addAll(completion);
    String whole = template.render(all, false);
    if (!whole.startsWith(promptText)) {
      throw new IllegalArgumentException(
          "the chat template renders the prompt differently inside the whole conversation, so"
              + " the completion cannot be separated (as TRL also refuses); prompt: "
              + abbreviate(promptText)
              + ", whole: "
              + abbreviate(whole));
    }
    return new ChatTexts(promptText, whole.substring(promptText.length()));
  }

  /**
   * A {@code {"messages": [...]}} example split before its last message, which must be the
   * assistant's: the texts of {@code promptCompletion(messages[:-1], [messages[-1]])}.
   *
   * @throws IllegalArgumentException if the last message is not an assistant turn
   */
  public static ChatTexts lastAssistantTurn(
      ChatTemplate template, List<? extends Map<String, ?>> messages) {
    if (messages.size() < 2 || !"assistant".equals(messages.get(messages.size() - 1).get("role"))) {
      throw new IllegalArgumentException(
          "a messages example must end with an assistant message after at least one other, got"
              + " roles "
              + roles(messages));
    }
    return promptCompletion(
        template,
        messages.subList(0, messages.size() - 1),
        messages.subList(messages.size() - 1, messages.size()));
  }

  /**
   * A conversational prompt (a prompt-only example for PPO/GRPO/RLOO, or a chat message to generate
   * from) rendered as TRL renders it: with the generation prompt.
   *
   * @throws IllegalArgumentException if the list is empty or does not end with a user message
   */
  public static String prompt(ChatTemplate template, List<? extends Map<String, ?>> prompt) {
    if (prompt.isEmpty()) {
      throw new IllegalArgumentException("a conversational prompt needs at least one message");
    }
    return renderPrompt(template, prompt);
  }

  /** The prompt as TRL renders it after a user turn: with the generation prompt. */
  static String renderPrompt(ChatTemplate template, List<? extends Map<String, ?>> prompt) {
    if (!"user".equals(prompt.get(prompt.size() - 1).get("role"))) {
      throw new IllegalArgumentException(
          "a conversational prompt must end with a user message (continuing an assistant message"
              + " is not supported), got roles "
              + roles(prompt));
    }
    return template.render(prompt, true);
  }

  private static List<Object> roles(List<? extends Map<String, ?>> messages) {
    List<Object> out = new ArrayList<>();
    for (Map<String, ?> m : messages) {
      out.add(m.get("role"));
    }
    return out;
  }

  private static String abbreviate(String s) {
    String q = s.replace("\n", "\\n");
    return "'" + (q.length() > 200 ? q.substring(0, 200) + "..." : q) + "'";
  }
}
