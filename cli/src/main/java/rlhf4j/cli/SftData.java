package rlhf4j.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
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
        out.add(example(parse(file, n, line), tokenizer, file, n, rows));
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(file + " has no examples");
    }
    return out;
  }

  /** One line as strict JSON (no comments, single quotes, NaN or trailing values). */
  private static JsonElement parse(Path file, int line, String text) {
    try {
      JsonReader reader = new JsonReader(new StringReader(text));
      reader.setStrictness(Strictness.STRICT);
      JsonElement element = JsonParser.parseReader(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new JsonParseException("more than one JSON value on the line");
      }
      return element;
    } catch (JsonParseException | IOException | IllegalStateException e) {
      String message = String.valueOf(e.getMessage());
      int see = message.indexOf("\nSee https://");
      throw new IllegalArgumentException(
          file
              + " line "
              + line
              + ": not valid JSON: "
              + (see < 0 ? message : message.substring(0, see)),
          e);
    }
  }

  private static SftExample example(
      JsonElement element, Tokenizer tokenizer, Path file, int line, ChatRows rows) {
    String where = file + " line " + line;
    if (!element.isJsonObject()) {
      throw new IllegalArgumentException(where + ": expected a JSON object");
    }
    JsonObject node = element.getAsJsonObject();
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
      List<Map<String, Object>> m = rows.messages(line, "messages", value(node, "messages"));
      return rows.render(line, "messages", () -> SftExample.fromChat(tokenizer, template, m));
    }
    if (pair && (isArray(node, "prompt") || isArray(node, "completion"))) {
      ChatTemplate template = rows.conversational(line, "prompt");
      List<Map<String, Object>> p = rows.messages(line, "prompt", value(node, "prompt"));
      List<Map<String, Object>> c = rows.messages(line, "completion", value(node, "completion"));
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

  private static boolean isArray(JsonObject node, String field) {
    return node.has(field) && node.get(field).isJsonArray();
  }

  /** A field as plain Java lists, maps, strings and numbers (null when absent). */
  private static Object value(JsonObject node, String field) {
    return ChatTemplate.fromJson(node.get(field));
  }

  private static String string(JsonObject node, String field, String where) {
    JsonElement v = node.get(field);
    if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
      throw new IllegalArgumentException(where + ": \"" + field + "\" must be a string");
    }
    return v.getAsString();
  }
}
