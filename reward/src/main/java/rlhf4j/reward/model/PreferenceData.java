package rlhf4j.reward.model;

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
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import rlhf4j.policy.chat.ChatRows;

/**
 * Preference data: JSONL reading, tokenization and a seeded train/eval split.
 *
 * <p>One JSON object per line with string fields {@code prompt} (optional, default ""), {@code
 * chosen} and {@code rejected} (the completions appended to the prompt) and an optional number
 * {@code margin}; other fields are ignored and blank lines skipped:
 *
 * <pre>
 * {"prompt": "Q: 2+2? A:", "chosen": " 4", "rejected": " 5", "margin": 1.0}
 * </pre>
 *
 * <p>or, conversational (TRL's preference format), lists of messages rendered with the model's chat
 * template as TRL renders them ({@link rlhf4j.policy.chat.Conversations#promptCompletion}): the
 * prompt with the generation prompt, each completion as what follows it in the whole conversation.
 * Without {@code prompt}, the messages {@code chosen} and {@code rejected} share from the start are
 * the prompt (TRL's implicit prompt):
 *
 * <pre>
 * {"prompt": [{"role": "user", "content": "2+2?"}],
 *  "chosen": [{"role": "assistant", "content": "4"}],
 *  "rejected": [{"role": "assistant", "content": "5"}]}
 * </pre>
 *
 * A file holds rows of one form only.
 */
public final class PreferenceData {
  /** The fields a line may use. */
  public static final List<String> FIELDS = List.of("prompt", "chosen", "rejected", "margin");

  private PreferenceData() {}

  /**
   * Reads a JSONL preference file.
   *
   * @throws PreferenceDataException naming the file, line and field of the first problem
   */
  public static List<PreferencePair> read(Path file) {
    return read(file, null);
  }

  /**
   * Reads a JSONL preference file whose conversational rows are rendered with the chat template of
   * {@code tokenizerDir} (its {@code tokenizer_config.json} or {@code chat_template.jinja}; loaded
   * at the first conversational row, so plain files need none).
   *
   * @param tokenizerDir the model's tokenizer folder, or null for none
   * @throws PreferenceDataException naming the file, line and field of the first problem: also a
   *     file mixing plain and conversational rows, or conversational rows without a chat template
   */
  public static List<PreferencePair> read(Path file, Path tokenizerDir) {
    if (!Files.isRegularFile(file)) {
      throw new PreferenceDataException(file, 0, null, "is not a file");
    }
    List<PreferencePair> pairs = new ArrayList<>();
    ChatRows rows = rows(file, tokenizerDir);
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String text;
      int line = 0;
      while ((text = in.readLine()) != null) {
        line++;
        if (!text.isBlank()) {
          pairs.add(parseLine(file, line, text, rows));
        }
      }
    } catch (IOException e) {
      throw new PreferenceDataException(file, 0, null, "cannot be read: " + e.getMessage());
    }
    if (pairs.isEmpty()) {
      throw new PreferenceDataException(
          file, 0, null, "holds no preference pairs; write one JSON object per line " + example());
    }
    return pairs;
  }

  private static String example() {
    return "like {\"prompt\": \"...\", \"chosen\": \"...\", \"rejected\": \"...\"}";
  }

  private static ChatRows rows(Path file, Path tokenizerDir) {
    return new ChatRows(
        ChatRows.templateOf(tokenizerDir),
        (line, field, problem) -> new PreferenceDataException(file, line, field, problem));
  }

  /** Parses one non-blank plain line (1-based {@code line}) of {@code file}. */
  static PreferencePair parseLine(Path file, int line, String text) {
    return parseLine(file, line, text, rows(file, null));
  }

  /** Parses one non-blank line (1-based {@code line}) of {@code file}, one of its {@code rows}. */
  static PreferencePair parseLine(Path file, int line, String text, ChatRows rows) {
    JsonElement element;
    try {
      JsonReader reader = new JsonReader(new StringReader(text));
      reader.setStrictness(Strictness.STRICT);
      element = JsonParser.parseReader(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new JsonParseException("more than one JSON value on the line");
      }
    } catch (JsonParseException | IOException | IllegalStateException e) {
      throw new PreferenceDataException(
          file, line, null, "is not valid JSON (" + e.getMessage() + "); expected " + example());
    }
    if (!element.isJsonObject()) {
      throw new PreferenceDataException(
          file, line, null, "is not a JSON object; expected " + example());
    }
    JsonObject o = element.getAsJsonObject();
    if (PreferenceChat.isConversational(o)) {
      return PreferenceChat.pair(file, line, o, rows, () -> margin(file, line, o));
    }
    rows.plain(line);
    String prompt = o.has("prompt") ? string(file, line, o, "prompt") : "";
    String chosen = string(file, line, o, "chosen");
    String rejected = string(file, line, o, "rejected");
    return new PreferencePair(prompt, chosen, rejected, margin(file, line, o));
  }

  private static double margin(Path file, int line, JsonObject o) {
    double margin = 0;
    JsonElement m = o.get("margin");
    if (m != null && !m.isJsonNull()) {
      if (!m.isJsonPrimitive() || !m.getAsJsonPrimitive().isNumber()) {
        throw new PreferenceDataException(file, line, "margin", "must be a number, got " + m);
      }
      margin = m.getAsDouble();
      if (!Double.isFinite(margin)) {
        throw new PreferenceDataException(file, line, "margin", "must be finite, got " + m);
      }
    }
    return margin;
  }

  private static String string(Path file, int line, JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      throw new PreferenceDataException(
          file,
          line,
          field,
          "is missing; each line needs string fields chosen and rejected, optionally prompt and"
              + " a number margin (has "
              + o.keySet()
              + ")");
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw new PreferenceDataException(file, line, field, "must be a string, got " + e);
    }
    return e.getAsString();
  }

  /**
   * Tokenized pairs and how many were dropped for length.
   *
   * @param pairs pairs whose both sequences fit
   * @param droppedTooLong pairs left out because a sequence was longer than the limit
   */
  public record Tokenized(List<TokenizedPair> pairs, int droppedTooLong) {
    /** Copies the list. */
    public Tokenized {
      pairs = List.copyOf(pairs);
    }
  }

  /**
   * Tokenizes pairs with {@code encoder(prompt, completion)} (e.g. {@link RewardModel#encode}) and
   * drops pairs with a sequence longer than {@code maxLength} tokens. Dropping, not truncating: the
   * score is read at the last token, which truncation would cut.
   *
   * @throws IllegalArgumentException if a sequence encodes to no tokens
   */
  public static Tokenized tokenize(
      List<PreferencePair> pairs, BiFunction<String, String, long[]> encoder, int maxLength) {
    return tokenize(pairs, encoder, encoder, maxLength);
  }

  /**
   * {@link #tokenize(List, BiFunction, int)} with pairs rendered by a chat template ({@link
   * PreferencePair#chat()}) encoded by {@code chatEncoder} (e.g. {@link RewardModel#encodeChat}:
   * the template wrote the special tokens, so the tokenizer must not add its own).
   */
  public static Tokenized tokenize(
      List<PreferencePair> pairs,
      BiFunction<String, String, long[]> encoder,
      BiFunction<String, String, long[]> chatEncoder,
      int maxLength) {
    if (maxLength <= 0) {
      throw new IllegalArgumentException("maxLength must be > 0, got " + maxLength);
    }
    List<TokenizedPair> out = new ArrayList<>(pairs.size());
    int dropped = 0;
    for (int i = 0; i < pairs.size(); i++) {
      PreferencePair p = pairs.get(i);
      BiFunction<String, String, long[]> encode = p.chat() ? chatEncoder : encoder;
      long[] chosen = encode.apply(p.prompt(), p.chosen());
      long[] rejected = encode.apply(p.prompt(), p.rejected());
      if (chosen.length == 0 || rejected.length == 0) {
        throw new IllegalArgumentException(
            "pair "
                + i
                + " (0-based) encodes to no tokens for its "
                + (chosen.length == 0 ? "chosen" : "rejected")
                + " side; give it a non-empty prompt or completion");
      }
      if (chosen.length > maxLength || rejected.length > maxLength) {
        dropped++;
        continue;
      }
      out.add(new TokenizedPair(chosen, rejected, (float) p.margin()));
    }
    return new Tokenized(out, dropped);
  }

  /**
   * A train/eval split.
   *
   * @param train the training items
   * @param eval the held-out items
   */
  public record Split<T>(List<T> train, List<T> eval) {
    /** Copies the lists. */
    public Split {
      train = List.copyOf(train);
      eval = List.copyOf(eval);
    }
  }

  /**
   * Shuffles a copy of {@code items} with {@code seed} and holds out {@code round(evalFraction·n)}
   * of them (at least 1 when the fraction is positive), keeping at least one for training.
   *
   * @param evalFraction in [0, 1)
   */
  public static <T> Split<T> split(List<T> items, double evalFraction, long seed) {
    if (!(evalFraction >= 0 && evalFraction < 1)) {
      throw new IllegalArgumentException("evalFraction must be in [0, 1), got " + evalFraction);
    }
    int n = items.size();
    List<T> shuffled = new ArrayList<>(items);
    Collections.shuffle(shuffled, new Random(seed));
    int nEval = (int) Math.round(evalFraction * n);
    if (evalFraction > 0) {
      nEval = Math.max(1, nEval);
    }
    nEval = Math.min(nEval, n - 1);
    if (n == 0 || nEval < 0) {
      throw new IllegalArgumentException("no items to split");
    }
    return new Split<>(shuffled.subList(nEval, n), shuffled.subList(0, nEval));
  }
}
