package rlhf4j.cli;

import java.util.List;
import java.util.Map;
import rlhf4j.policy.chat.ChatRows;
import rlhf4j.policy.chat.ChatTemplate;
import rlhf4j.policy.chat.Conversations;
import rlhf4j.policy.tokenizer.Tokenizer;

/**
 * Conversational prompts as token ids: messages ending with the user's turn rendered with the
 * model's chat template and its generation prompt (as TRL renders prompt-only examples for GRPO and
 * RLOO), then encoded without the tokenizer's template tokens, which the chat template writes.
 */
final class ChatPrompts {
  private ChatPrompts() {}

  /**
   * The ids of a prompt file's conversational row ({@code {"prompt": [...messages]}}), one of
   * {@code rows}; errors name the file and line.
   *
   * @param messages the field's value as plain Java lists and maps
   */
  static long[] row(ChatRows rows, int line, String field, Object messages, Tokenizer tokenizer) {
    ChatTemplate template = rows.conversational(line, field);
    List<Map<String, Object>> m = rows.messages(line, field, messages);
    String text = rows.render(line, field, () -> Conversations.prompt(template, m));
    long[] ids = tokenizer.encodePlain(text);
    if (ids.length == 0) {
      throw rows.error(line, field, "renders to a prompt that encodes to no tokens");
    }
    return ids;
  }

  /** The ids of one user message rendered as a chat prompt ({@code generate --chat}). */
  static long[] user(ChatTemplate template, Tokenizer tokenizer, String message) {
    return tokenizer.encodePlain(
        Conversations.prompt(template, List.of(ChatTemplate.message("user", message))));
  }
}
