package rlhf4j.policy.tokenizer;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained GPT-2-style byte-level BPE tokenizer: 256 byte tokens (id = byte value), one token per
 * merge in rank order, then the special tokens. {@link #writeTo(Path)} writes a HuggingFace {@code
 * tokenizer.json} (loadable by DJL's {@code HuggingFaceTokenizer}) plus a {@code
 * tokenizer_config.json}; {@link #encode(String)} is a plain-Java encoder that gives the same ids
 * as HuggingFace tokenizers on that file.
 */
public final class BpeModel {
  /** Name of the HuggingFace tokenizer file written by {@link #writeTo(Path)}. */
  public static final String TOKENIZER_JSON = "tokenizer.json";

  /** Name of the tokenizer config file (bos/eos/pad token strings) written by {@link #writeTo}. */
  public static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";

  private final List<String> tokens; // id -> token (byte-level string, or raw special text)
  private final Map<String, Integer> ids;
  private final int[] mergeLeft; // rank -> left id
  private final int[] mergeRight; // rank -> right id
  private final Map<Long, Integer> mergeRank; // (left << 32 | right) -> rank
  private final Map<Long, Integer> mergeResult; // (left << 32 | right) -> merged id
  private final List<String> specialTokens;
  private final String bosToken;
  private final String eosToken;
  private final String padToken;
  private final Map<String, int[]> cache = new HashMap<>();

  BpeModel(
      List<String> tokens,
      List<int[]> merges,
      List<String> specialTokens,
      String bosToken,
      String eosToken,
      String padToken) {
    this.tokens = List.copyOf(tokens);
    for (int b = 0; b < 256; b++) {
      if (tokens.size() < 256
          || !tokens.get(b).equals(String.valueOf(BpeByteLevel.byteToChar(b)))) {
        throw new IllegalArgumentException(
            "token " + b + " must be the byte-level character of byte " + b);
      }
    }
    this.ids = new HashMap<>();
    for (int i = 0; i < tokens.size(); i++) {
      if (ids.put(tokens.get(i), i) != null) {
        throw new IllegalArgumentException("token '" + tokens.get(i) + "' appears twice");
      }
    }
    this.mergeLeft = new int[merges.size()];
    this.mergeRight = new int[merges.size()];
    this.mergeRank = new HashMap<>();
    this.mergeResult = new HashMap<>();
    for (int r = 0; r < merges.size(); r++) {
      int left = merges.get(r)[0];
      int right = merges.get(r)[1];
      mergeLeft[r] = left;
      mergeRight[r] = right;
      long key = pairKey(left, right);
      mergeRank.put(key, r);
      Integer merged = ids.get(tokens.get(left) + tokens.get(right));
      if (merged == null) {
        throw new IllegalArgumentException(
            "merge " + r + " '" + mergeString(r) + "' has no result token in the vocabulary");
      }
      mergeResult.put(key, merged);
    }
    this.specialTokens = List.copyOf(specialTokens);
    for (String s : specialTokens) {
      if (!ids.containsKey(s)) {
        throw new IllegalArgumentException("special token '" + s + "' is not in the vocabulary");
      }
    }
    this.bosToken = bosToken;
    this.eosToken = eosToken;
    this.padToken = padToken;
  }

  static long pairKey(int left, int right) {
    return ((long) left << 32) | (right & 0xFFFFFFFFL);
  }

  /** Number of tokens including the special tokens; ids are {@code 0..vocabSize()-1}. */
  public int vocabSize() {
    return tokens.size();
  }

  /** Number of merges (= {@code vocabSize() - 256 - specialTokens().size()} unless duplicated). */
  public int numMerges() {
    return mergeLeft.length;
  }

  /** The merges in rank order as {@code "left right"} byte-level strings (tokenizer.json form). */
  public List<String> merges() {
    List<String> out = new ArrayList<>(mergeLeft.length);
    for (int r = 0; r < mergeLeft.length; r++) {
      out.add(mergeString(r));
    }
    return out;
  }

  private String mergeString(int rank) {
    return tokens.get(mergeLeft[rank]) + " " + tokens.get(mergeRight[rank]);
  }

  /** The token with this id: a byte-level string ('Ġ' for space) or a special token's text. */
  public String idToToken(int id) {
    if (id < 0 || id >= tokens.size()) {
      throw new IllegalArgumentException("id must be in [0, " + tokens.size() + "), got " + id);
    }
    return tokens.get(id);
  }

  /** The id of a byte-level token or special token, or -1 if it is not in the vocabulary. */
  public int tokenToId(String token) {
    return ids.getOrDefault(token, -1);
  }

  /** The special tokens in id order. */
  public List<String> specialTokens() {
    return specialTokens;
  }

  /** Id of a special token. */
  public int specialTokenId(String token) {
    if (!specialTokens.contains(token)) {
      throw new IllegalArgumentException(
          "'" + token + "' is not a special token; the special tokens are " + specialTokens);
    }
    return ids.get(token);
  }

  public String bosToken() {
    return bosToken;
  }

  public String eosToken() {
    return eosToken;
  }

  public String padToken() {
    return padToken;
  }

  public int bosId() {
    return ids.get(bosToken);
  }

  public int eosId() {
    return ids.get(eosToken);
  }

  public int padId() {
    return ids.get(padToken);
  }

  /**
   * Encodes text the way HuggingFace tokenizers does with the written {@code tokenizer.json}:
   * special tokens found in the text (leftmost-longest) become their ids, the rest is split by the
   * GPT-2 regex and each piece is BPE-merged by merge rank. No BOS/EOS is added.
   */
  public long[] encode(String text) {
    List<Long> out = new ArrayList<>();
    int start = 0;
    int i = 0;
    while (i < text.length()) {
      String special = longestSpecialAt(text, i);
      if (special == null) {
        i++;
        continue;
      }
      encodeOrdinary(text.substring(start, i), out);
      out.add((long) ids.get(special));
      i += special.length();
      start = i;
    }
    encodeOrdinary(text.substring(start), out);
    long[] result = new long[out.size()];
    for (int k = 0; k < result.length; k++) {
      result[k] = out.get(k);
    }
    return result;
  }

  private String longestSpecialAt(String text, int at) {
    String best = null;
    for (String s : specialTokens) {
      if (text.startsWith(s, at) && (best == null || s.length() > best.length())) {
        best = s;
      }
    }
    return best;
  }

  private void encodeOrdinary(String text, List<Long> out) {
    if (text.isEmpty()) {
      return;
    }
    for (String piece : BpeByteLevel.preTokenize(text)) {
      for (int id : encodeWord(BpeByteLevel.toByteLevel(piece))) {
        out.add((long) id);
      }
    }
  }

  /** BPE on one pre-token: repeatedly merge the lowest-ranked adjacent pair, leftmost first. */
  private synchronized int[] encodeWord(String word) {
    int[] cached = cache.get(word);
    if (cached != null) {
      return cached;
    }
    int n = word.length();
    int[] symbols = new int[n];
    for (int k = 0; k < n; k++) {
      symbols[k] = BpeByteLevel.charToByte(word.charAt(k)); // byte tokens have id = byte value
    }
    while (n > 1) {
      int bestRank = Integer.MAX_VALUE;
      int bestPos = -1;
      for (int k = 0; k + 1 < n; k++) {
        Integer rank = mergeRank.get(pairKey(symbols[k], symbols[k + 1]));
        if (rank != null && rank < bestRank) {
          bestRank = rank;
          bestPos = k;
        }
      }
      if (bestPos < 0) {
        break;
      }
      symbols[bestPos] = mergeResult.get(pairKey(symbols[bestPos], symbols[bestPos + 1]));
      System.arraycopy(symbols, bestPos + 2, symbols, bestPos + 1, n - bestPos - 2);
      n--;
    }
    int[] result = Arrays.copyOf(symbols, n);
    if (cache.size() < 100_000) {
      cache.put(word, result);
    }
    return result;
  }

  /**
   * Decodes ids to text (invalid UTF-8 becomes U+FFFD, as in the ByteLevel decoder).
   *
   * @param skipSpecialTokens drop special tokens instead of writing their text
   */
  public String decode(long[] tokenIds, boolean skipSpecialTokens) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (long id : tokenIds) {
      if (id < 0 || id >= tokens.size()) {
        throw new IllegalArgumentException(
            "token id must be in [0, " + tokens.size() + "), got " + id);
      }
      String token = tokens.get((int) id);
      if (specialTokens.contains(token)) {
        if (!skipSpecialTokens) {
          bytes.writeBytes(token.getBytes(StandardCharsets.UTF_8));
        }
      } else {
        bytes.writeBytes(BpeByteLevel.fromByteLevel(token));
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /**
   * The HuggingFace {@code tokenizer.json} text (deterministic: same model, same bytes). Its
   * padding block pads batches on the right with the pad token, which is where DJL takes the pad id
   * from.
   */
  public String tokenizerJson() {
    JsonObject root = new JsonObject();
    root.addProperty("version", "1.0");
    root.add("truncation", JsonNull.INSTANCE);
    // DJL reads the pad token from this block (tokenizer_config.json only with an explicit path)
    JsonObject padding = new JsonObject();
    padding.addProperty("strategy", "BatchLongest");
    padding.addProperty("direction", "Right");
    padding.add("pad_to_multiple_of", JsonNull.INSTANCE);
    padding.addProperty("pad_id", padId());
    padding.addProperty("pad_type_id", 0);
    padding.addProperty("pad_token", padToken);
    root.add("padding", padding);
    JsonArray added = new JsonArray();
    for (String s : specialTokens) {
      JsonObject t = new JsonObject();
      t.addProperty("id", ids.get(s));
      t.addProperty("content", s);
      t.addProperty("single_word", false);
      t.addProperty("lstrip", false);
      t.addProperty("rstrip", false);
      t.addProperty("normalized", false);
      t.addProperty("special", true);
      added.add(t);
    }
    root.add("added_tokens", added);
    root.add("normalizer", JsonNull.INSTANCE);
    JsonObject byteLevel = new JsonObject();
    byteLevel.addProperty("type", "ByteLevel");
    byteLevel.addProperty("add_prefix_space", false);
    byteLevel.addProperty("trim_offsets", true);
    byteLevel.addProperty("use_regex", true);
    root.add("pre_tokenizer", byteLevel);
    root.add("post_processor", byteLevel.deepCopy());
    root.add("decoder", byteLevel.deepCopy());
    JsonObject model = new JsonObject();
    model.addProperty("type", "BPE");
    model.add("dropout", JsonNull.INSTANCE);
    model.add("unk_token", JsonNull.INSTANCE);
    model.addProperty("continuing_subword_prefix", "");
    model.addProperty("end_of_word_suffix", "");
    model.addProperty("fuse_unk", false);
    model.addProperty("byte_fallback", false);
    JsonObject vocab = new JsonObject();
    for (int id = 0; id < tokens.size(); id++) {
      vocab.addProperty(tokens.get(id), id);
    }
    model.add("vocab", vocab);
    JsonArray merges = new JsonArray();
    for (String m : merges()) {
      merges.add(m);
    }
    model.add("merges", merges);
    root.add("model", model);
    return new GsonBuilder()
            .disableHtmlEscaping()
            .serializeNulls()
            .setPrettyPrinting()
            .create()
            .toJson(root)
        + "\n";
  }

  /**
   * The {@code tokenizer_config.json} text: bos/eos/pad token strings, no prefix space, and no
   * clean-up of spaces on decode (DJL applies that clean-up when it is true, which would break the
   * round trip of text such as {@code "dull ."}).
   */
  public String tokenizerConfigJson() {
    JsonObject cfg = new JsonObject();
    cfg.addProperty("tokenizer_class", "GPT2TokenizerFast");
    cfg.addProperty("bos_token", bosToken);
    cfg.addProperty("eos_token", eosToken);
    cfg.addProperty("pad_token", padToken);
    cfg.addProperty("add_prefix_space", false);
    cfg.addProperty("add_bos_token", false);
    cfg.addProperty("add_eos_token", false);
    cfg.addProperty("clean_up_tokenization_spaces", false);
    return new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create().toJson(cfg) + "\n";
  }

  /**
   * Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir} (created if
   * missing). Load it with {@code HuggingFaceTokenizer.newInstance(dir)}.
   */
  public void writeTo(Path dir) throws IOException {
    Files.createDirectories(dir);
    rlhf4j.policy.io.AtomicFiles.writeString(dir.resolve(TOKENIZER_JSON), tokenizerJson());
    rlhf4j.policy.io.AtomicFiles.writeString(
        dir.resolve(TOKENIZER_CONFIG_JSON), tokenizerConfigJson());
  }
}
