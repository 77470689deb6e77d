package rlhf4j.policy.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import rlhf4j.policy.io.CheckpointException;

/**
 * A HuggingFace {@code tokenizer.json} loaded through DJL, without the library's silent defaults
 * (no truncation to 512 tokens, no padding). Special tokens come from {@code
 * tokenizer_config.json}, then {@code config.json} / {@code generation_config.json}.
 */
public final class Tokenizer implements AutoCloseable {
  static {
    rlhf4j.policy.train.Engines.defaults(); // before libtorch loads: passive OpenMP wait policy
  }

  private final Path dir;
  private final HuggingFaceTokenizer hf;
  private final Map<String, Integer> vocab;
  private final int bosId;
  private final int eosId;
  private final int padId;

  private Tokenizer(
      Path dir, HuggingFaceTokenizer hf, Map<String, Integer> vocab, int bos, int eos, int pad) {
    this.dir = dir;
    this.hf = hf;
    this.vocab = vocab;
    this.bosId = bos;
    this.eosId = eos;
    this.padId = pad;
  }

  /** Loads {@code dir/tokenizer.json} with the special tokens the folder declares. */
  public static Tokenizer load(Path dir) {
    Path file = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      throw CheckpointException.of(
          dir,
          "has no tokenizer.json (rlhf4j needs the fast-tokenizer file; save it with"
              + " tokenizer.save_pretrained in Python)");
    }
    Map<String, Integer> vocab = readVocab(file);
    JsonObject tc = readIfPresent(dir.resolve("tokenizer_config.json"));
    JsonObject cfg = readIfPresent(dir.resolve("config.json"));
    JsonObject gen = readIfPresent(dir.resolve("generation_config.json"));
    int bos = special(tc, "bos_token", vocab, cfg, gen, "bos_token_id", dir);
    int eos = special(tc, "eos_token", vocab, cfg, gen, "eos_token_id", dir);
    int pad = special(tc, "pad_token", vocab, cfg, gen, "pad_token_id", dir);
    try {
      HuggingFaceTokenizer hf =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(file)
              .optTruncation(false)
              .optPadding(false)
              .optAddSpecialTokens(true)
              .build();
      return new Tokenizer(dir, hf, vocab, bos, eos, pad);
    } catch (IOException | RuntimeException e) {
      throw new CheckpointException(file + ": cannot load tokenizer: " + e.getMessage(), e);
    }
  }

  private static JsonObject readIfPresent(Path f) {
    if (!Files.isRegularFile(f)) {
      return new JsonObject();
    }
    try {
      JsonElement e = JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8));
      return e.isJsonObject() ? e.getAsJsonObject() : new JsonObject();
    } catch (IOException | RuntimeException e) {
      throw new CheckpointException(f + ": not valid JSON: " + e.getMessage(), e);
    }
  }

  /** token string → id from the model vocabulary and the added tokens. */
  private static Map<String, Integer> readVocab(Path file) {
    JsonObject j = readIfPresent(file);
    Map<String, Integer> vocab = new HashMap<>();
    JsonElement model = j.get("model");
    if (model != null && model.isJsonObject()) {
      JsonElement v = model.getAsJsonObject().get("vocab");
      if (v != null && v.isJsonObject()) {
        v.getAsJsonObject().entrySet().forEach(e -> vocab.put(e.getKey(), e.getValue().getAsInt()));
      }
    }
    JsonElement added = j.get("added_tokens");
    if (added != null && added.isJsonArray()) {
      for (JsonElement e : added.getAsJsonArray()) {
        JsonObject t = e.getAsJsonObject();
        vocab.put(t.get("content").getAsString(), t.get("id").getAsInt());
      }
    }
    return vocab;
  }

  private static int special(
      JsonObject tokenizerConfig,
      String field,
      Map<String, Integer> vocab,
      JsonObject config,
      JsonObject gen,
      String idField,
      Path dir) {
    JsonElement e = tokenizerConfig.get(field);
    if (e != null && !e.isJsonNull()) {
      String content =
          e.isJsonObject() ? e.getAsJsonObject().get("content").getAsString() : e.getAsString();
      Integer id = vocab.get(content);
      if (id == null) {
        throw CheckpointException.of(
            dir.resolve("tokenizer_config.json"),
            field + " '" + content + "' is not in tokenizer.json's vocabulary");
      }
      return id;
    }
    for (JsonObject o : new JsonObject[] {config, gen}) {
      JsonElement idEl = o.get(idField);
      if (idEl != null && !idEl.isJsonNull()) {
        return idEl.isJsonArray() ? idEl.getAsJsonArray().get(0).getAsInt() : idEl.getAsInt();
      }
    }
    return -1;
  }

  /**
   * The folder this tokenizer was loaded from, whose {@code tokenizer_config.json} may hold the
   * model's chat template ({@link rlhf4j.policy.chat.ChatTemplate#fromModelDir}).
   */
  public Path dir() {
    return dir;
  }

  /** Token ids of {@code text}, with the special tokens the tokenizer's template adds. */
  public long[] encode(String text) {
    return hf.encode(text).getIds();
  }

  /** Token ids of {@code text} without template special tokens. */
  public long[] encodePlain(String text) {
    return hf.encode(text, false, false).getIds();
  }

  /** Text of {@code ids}. */
  public String decode(long[] ids, boolean skipSpecialTokens) {
    return hf.decode(ids, skipSpecialTokens);
  }

  /** The id of an exact token string, or -1. */
  public int tokenId(String token) {
    return vocab.getOrDefault(token, -1);
  }

  public int bosId() {
    return bosId;
  }

  public int eosId() {
    return eosId;
  }

  /** The padding id, or -1 when the tokenizer defines none (pad with EOS then, masking it). */
  public int padId() {
    return padId;
  }

  /** Vocabulary size including added tokens. */
  public int vocabSize() {
    return vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
  }

  @Override
  public void close() {
    hf.close();
  }
}
