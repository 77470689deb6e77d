package rlhf4j.policy.chat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The rows of one data file as a reader meets them: each row is plain (text fields) or
 * conversational (lists of {@code {role, content}} messages), never both kinds in one file, and
 * conversational rows are rendered with the model's chat template, loaded when the first one
 * appears. Every problem is reported at {@code file:line} with what to do about it: a row of the
 * other kind than the file's first row, a conversational row without a chat template, a message
 * list that is malformed or that the template refuses.
 *
 * <p>Used by the SFT, preference (reward model, DPO) and prompt (PPO, GRPO, RLOO) readers. Not
 * thread-safe: one instance per file read.
 */
public final class ChatRows {
  /** The exception a reader throws for a problem at a 1-based line about a field (or null). */
  @FunctionalInterface
  public interface Errors {
    /**
     * @param line 1-based line of the file
     * @param field the JSON field at fault, or null for the whole row
     * @param problem what is wrong and how to fix it
     */
    RuntimeException at(int line, String field, String problem);
  }

  private static final String FORMS =
      "write every row in one form: plain strings, or lists of {\"role\": ..., \"content\": ...}"
          + " messages rendered with the model's chat template";

  private final Supplier<ChatTemplate> templateSource;
  private final Errors errors;
  private ChatTemplate template; // loaded at the first conversational row
  private int firstPlain; // 1-based line of the first plain row, 0 before one
  private int firstChat; // 1-based line of the first conversational row, 0 before one

  /**
   * Rows whose chat template comes from {@code templateSource} (called once, at the first
   * conversational row; an {@link IllegalArgumentException} it throws is reported at that row).
   */
  public ChatRows(Supplier<ChatTemplate> templateSource, Errors errors) {
    this.templateSource = Objects.requireNonNull(templateSource, "templateSource");
    this.errors = Objects.requireNonNull(errors, "errors");
  }

  /**
   * Rows of {@code file} rendered with the chat template of {@code tokenizerDir} ({@link
   * ChatTemplate#fromModelDir}; null when the command has no tokenizer folder), problems reported
   * as {@link IllegalArgumentException}s {@code "file:line: field 'f' problem"}.
   */
  public static ChatRows of(Path file, Path tokenizerDir) {
    return new ChatRows(templateOf(tokenizerDir), defaultErrors(file));
  }

  /** {@code "file:line: field 'f' problem"} as an {@link IllegalArgumentException}. */
  public static Errors defaultErrors(Path file) {
    return (line, field, problem) ->
        new IllegalArgumentException(
            file + ":" + line + ": " + (field != null ? "field '" + field + "' " : "") + problem);
  }

  /** The chat template of a tokenizer folder, loaded when asked; null folder: none. */
  public static Supplier<ChatTemplate> templateOf(Path tokenizerDir) {
    return () -> {
      if (tokenizerDir == null) {
        throw new IllegalArgumentException(
            "no tokenizer folder was given to take the chat template from: set the model's"
                + " tokenizer folder (model.dir or model.tokenizer) to an instruct model's folder");
      }
      return ChatTemplate.fromModelDir(tokenizerDir);
    };
  }

  /**
   * Whether a JSON value (as {@link ChatTemplate#fromJson} or a JSON library gives it) is a message
   * list: a list whose elements are all objects. An empty list is not (it is refused as an empty
   * message list by {@link #messages}).
   */
  public static boolean isMessages(Object value) {
    if (!(value instanceof List<?> l) || l.isEmpty()) {
      return false;
    }
    for (Object o : l) {
      if (!(o instanceof Map)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Records a plain row at {@code line}.
   *
   * @throws RuntimeException from {@link Errors} when an earlier row was conversational
   */
  public void plain(int line) {
    if (firstChat > 0) {
      throw errors.at(
          line,
          null,
          "is plain text, but line " + firstChat + " of this file is conversational; " + FORMS);
    }
    if (firstPlain == 0) {
      firstPlain = line;
    }
  }

  /**
   * Records a conversational row at {@code line} (its message lists in {@code field}) and returns
   * the chat template to render it with.
   *
   * @throws RuntimeException from {@link Errors} when an earlier row was plain, or there is no chat
   *     template
   */
  public ChatTemplate conversational(int line, String field) {
    if (firstPlain > 0) {
      throw errors.at(
          line,
          field,
          "holds messages (a conversational row), but line "
              + firstPlain
              + " of this file is plain text; "
              + FORMS);
    }
    if (firstChat == 0) {
      firstChat = line;
    }
    if (template == null) {
      try {
        template = Objects.requireNonNull(templateSource.get(), "chat template");
      } catch (IllegalArgumentException e) {
        throw errors.at(
            line,
            field,
            "holds messages, which need the model's chat template, but " + e.getMessage());
      }
    }
    return template;
  }

  /**
   * {@code value} as a message list: a non-empty list of objects, each with a string {@code role}.
   *
   * @throws RuntimeException from {@link Errors} naming the field otherwise
   */
  @SuppressWarnings("unchecked")
  public List<Map<String, Object>> messages(int line, String field, Object value) {
    if (!(value instanceof List<?> l) || l.isEmpty()) {
      throw errors.at(
          line,
          field,
          "must be a non-empty list of {\"role\": ..., \"content\": ...} messages, got " + value);
    }
    List<Map<String, Object>> out = new ArrayList<>(l.size());
    for (int i = 0; i < l.size(); i++) {
      if (!(l.get(i) instanceof Map<?, ?> m) || !(m.get("role") instanceof String)) {
        throw errors.at(
            line,
            field,
            "message "
                + i
                + " must be an object with a string \"role\" (and its \"content\"), got "
                + l.get(i));
      }
      out.add((Map<String, Object>) m);
    }
    return out;
  }

  /** The exception for another problem of the row at {@code line} (null field: the whole row). */
  public RuntimeException error(int line, String field, String problem) {
    return errors.at(line, field, problem);
  }

  /**
   * Runs a rendering step of the row at {@code line}, reporting an {@link IllegalArgumentException}
   * it throws (the template's {@code raise_exception}, a conversation that cannot be split) at that
   * line.
   */
  public <T> T render(int line, String field, Supplier<T> step) {
    try {
      return step.get();
    } catch (IllegalArgumentException e) {
      throw errors.at(line, field, "cannot be rendered with the chat template: " + e.getMessage());
    }
  }
}
