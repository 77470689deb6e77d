package rlhf4j.reward.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import rlhf4j.policy.chat.ChatRows;
import rlhf4j.policy.chat.ChatTemplate;
import rlhf4j.policy.chat.ChatTexts;
import rlhf4j.policy.chat.Conversations;

/**
 * A conversational preference row ({@code {"prompt": [...], "chosen": [...], "rejected": [...]}},
 * lists of messages) rendered into a {@link PreferencePair} as TRL renders it: the prompt with the
 * generation prompt, each completion as what follows the prompt in the whole conversation. Without
 * {@code prompt}, the leading messages {@code chosen} and {@code rejected} share are the prompt
 * (TRL's {@code maybe_extract_prompt}).
 */
final class PreferenceChat {
  private static final List<String> MESSAGE_FIELDS = List.of("prompt", "chosen", "rejected");

  private PreferenceChat() {}

  /** Whether any of prompt, chosen and rejected is a JSON list (so the row is conversational). */
  static boolean isConversational(JsonObject o) {
    for (String f : MESSAGE_FIELDS) {
      JsonElement e = o.get(f);
      if (e != null && e.isJsonArray()) {
        return true;
      }
    }
    return false;
  }

  /** The rendered pair of line {@code line}, one of {@code rows}. */
  static PreferencePair pair(
      Path file, int line, JsonObject o, ChatRows rows, DoubleSupplier margin) {
    String first = null;
    for (String f : MESSAGE_FIELDS) {
      JsonElement e = o.get(f);
      if (e != null && e.isJsonArray() && first == null) {
        first = f;
      }
    }
    ChatTemplate template = rows.conversational(line, first);
    List<Map<String, Object>> chosen = messages(file, line, o, "chosen", rows);
    List<Map<String, Object>> rejected = messages(file, line, o, "rejected", rows);
    List<Map<String, Object>> prompt;
    JsonElement p = o.get("prompt");
    if (p != null && !p.isJsonNull()) {
      prompt = messages(file, line, o, "prompt", rows);
    } else {
      int k = 0;
      while (k < chosen.size() && k < rejected.size() && chosen.get(k).equals(rejected.get(k))) {
        k++;
      }
      if (k == 0 || k == chosen.size() || k == rejected.size()) {
        throw new PreferenceDataException(
            file,
            line,
            "prompt",
            "is missing and chosen and rejected "
                + (k == 0 ? "share no leading messages" : "do not differ after their shared start")
                + " to take as the prompt; give \"prompt\" as a list of messages ending with the"
                + " user's");
      }
      prompt = chosen.subList(0, k);
      chosen = chosen.subList(k, chosen.size());
      rejected = rejected.subList(k, rejected.size());
    }
    List<Map<String, Object>> pr = prompt;
    List<Map<String, Object>> ch = chosen;
    List<Map<String, Object>> rj = rejected;
    ChatTexts c =
        rows.render(line, "chosen", () -> Conversations.promptCompletion(template, pr, ch));
    ChatTexts r =
        rows.render(line, "rejected", () -> Conversations.promptCompletion(template, pr, rj));
    return new PreferencePair(
        c.prompt(), c.completion(), r.completion(), margin.getAsDouble(), true);
  }

  private static List<Map<String, Object>> messages(
      Path file, int line, JsonObject o, String field, ChatRows rows) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      throw new PreferenceDataException(
          file,
          line,
          field,
          "is missing; a conversational row needs message lists chosen and rejected, optionally"
              + " prompt (has "
              + o.keySet()
              + ")");
    }
    if (!e.isJsonArray()) {
      throw new PreferenceDataException(
          file,
          line,
          field,
          "must be a list of messages like the row's other fields (a row is all text or all"
              + " messages), got "
              + e);
    }
    return rows.messages(line, field, ChatTemplate.fromJson(e));
  }
}
