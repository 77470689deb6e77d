package rlhf4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.chat.ChatRows;
import rlhf4j.policy.chat.ChatTemplate;
import rlhf4j.policy.chat.ChatTexts;
import rlhf4j.policy.chat.Conversations;
import rlhf4j.policy.sft.SftExample;
import rlhf4j.policy.tokenizer.Tokenizer;

/**
 * The training set of {@code rlhf4j sft}: a JSONL file whose non-blank lines are each one example,
 * plain or conversational (TRL's dataset formats), one form per file:
 *
 * <ul>
 *   <li>{@code {"text": ...}}: language modelling, EOS appended;
 *   <li>{@code {"prompt": ..., "completion": ...}} (strings): the completion is the target, EOS
 *       appended;
 *   <li>{@code {"messages": [...]}}: a conversation rendered with the model's chat template, the
 *       final assistant turn the completion ({@link SftExample#fromChat}), so with {@code
 *       completion_only_loss} only the assistant's tokens are targets;
 *   <li>{@code {"prompt": [...], "completion": [...]}} (message lists): rendered as TRL renders a
 *       conversational prompt-completion example ({@link Conversations#promptCompletion}).
 * </ul>
 *
 * The chat template comes from the tokenizer folder, loaded at the first conversational row.
 */
final class SftData {
  private SftData() {}

  /**
   * Examples from {@code file}, conversational rows rendered with the chat template of {@code
   * tokenizerDir}.
   *
   * @throws IllegalArgumentException naming the file and line: invalid JSON, a row of neither form,
   *     plain and conversational rows mixed, conversational rows without a chat template
   */
  static List<SftExample> read(Path file, Tokenizer tokenizer, Path tokenizerDir) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("data file " + file + " does not exist");
    }
    ObjectMapper json = new ObjectMapper();
    ChatRows rows = ChatRows.of(file, tokenizerDir);
    List<SftExample> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = json.readTree(line);
        } catch (JsonProcessingException e) {
          throw new IllegalArgumentException(
              file + " line " + n + ": not valid JSON: " + e.getOriginalMessage());
        }
        out.add(example(node, tokenizer, file, n, rows, json));
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(file + " has no examples");
    }
    return out;
  }

  private static SftExample example(
      JsonNode node, Tokenizer tokenizer, Path file, int line, ChatRows rows, ObjectMapper json) {
    String where = file + " line " + line;
    if (!node.isObject()) {
      throw new IllegalArgumentException(where + ": expected a JSON object");
    }
    boolean messages = node.has("messages");
    boolean text = node.has("text");
    boolean pair = node.has("prompt") || node.has("completion");
    if ((messages ? 1 : 0) + (text ? 1 : 0) + (pair ? 1 : 0) != 1) {
      throw new IllegalArgumentException(
          where
              + ": give either \"text\", or \"prompt\" and \"completion\", or \"messages\" (a list"
              + " of {\"role\": ..., \"content\": ...})");
    }
    if (messages) {
      ChatTemplate template = rows.conversational(line, "messages");
      List<Map<String, Object>> m = rows.messages(line, "messages", value(node, "messages", json));
      return rows.render(line, "messages", () -> SftExample.fromChat(tokenizer, template, m));
    }
    if (pair && (node.path("prompt").isArray() || node.path("completion").isArray())) {
      ChatTemplate template = rows.conversational(line, "prompt");
      List<Map<String, Object>> p = rows.messages(line, "prompt", value(node, "prompt", json));
      List<Map<String, Object>> c =
          rows.messages(line, "completion", value(node, "completion", json));
      ChatTexts t =
          rows.render(line, "prompt", () -> Conversations.promptCompletion(template, p, c));
      return SftExample.of(
          tokenizer.encodePlain(t.prompt()), tokenizer.encodePlain(t.completion()));
    }
    rows.plain(line);
    if (text) {
      return SftExample.fromText(tokenizer, string(node, "text", where));
    }
    return SftExample.fromPromptCompletion(
        tokenizer, string(node, "prompt", where), string(node, "completion", where));
  }

  /** A field as plain Java lists, maps, strings and numbers (null when absent). */
  private static Object value(JsonNode node, String field, ObjectMapper json) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : json.convertValue(v, Object.class);
  }

  private static String string(JsonNode node, String field, String where) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException(where + ": \"" + field + "\" must be a string");
    }
    return v.asText();
  }
}
