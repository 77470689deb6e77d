package rlhf4j.policy.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;

/**
 * Trains a GPT-2-style byte-level BPE tokenizer (Sennrich et al. 2016; Radford et al. 2019).
 *
 * <p>Text is split by the GPT-2 regex (the same split the HuggingFace {@code ByteLevel}
 * pre-tokenizer applies at encode time), each piece becomes its UTF-8 bytes, and the most frequent
 * adjacent pair of symbols is merged into a new token until the vocabulary holds {@code vocabSize}
 * tokens (256 bytes + merges + special tokens) or no pair occurs {@code minFrequency} times. Ties
 * go to the pair with the smaller left id, then the smaller right id, so training is deterministic.
 *
 * <pre>{@code
 * BpeModel tok = BpeTrainer.builder().vocabSize(512).build().train(corpus);
 * tok.writeTo(dir); // tokenizer.json + tokenizer_config.json
 * }</pre>
 *
 * @param vocabSize target vocabulary size including the 256 byte tokens and the special tokens
 * @param minFrequency a pair must occur at least this often (weighted by word count) to be merged
 * @param specialTokens added tokens, given ids after the merges in this order
 * @param bosToken the special token used as beginning of sequence
 * @param eosToken the special token used as end of sequence
 * @param padToken the special token used for padding
 */
public record BpeTrainer(
    int vocabSize,
    int minFrequency,
    List<String> specialTokens,
    String bosToken,
    String eosToken,
    String padToken) {

  /** GPT-2's end-of-text token; the default BOS and EOS. */
  public static final String END_OF_TEXT = "<|endoftext|>";

  /** The default padding token, distinct from EOS so that padding can be masked by id. */
  public static final String PAD = "<|pad|>";

  private static final int NUM_BYTES = 256;

  public BpeTrainer {
    specialTokens = List.copyOf(specialTokens);
    if (minFrequency < 1) {
      throw new IllegalArgumentException("minFrequency must be >= 1, got " + minFrequency);
    }
    if (new HashSet<>(specialTokens).size() != specialTokens.size()) {
      throw new IllegalArgumentException("specialTokens must be distinct, got " + specialTokens);
    }
    for (String s : specialTokens) {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("specialTokens must not contain an empty string");
      }
    }
    if (vocabSize < NUM_BYTES + specialTokens.size()) {
      throw new IllegalArgumentException(
          "vocabSize must be >= 256 + number of special tokens ("
              + (NUM_BYTES + specialTokens.size())
              + "), got "
              + vocabSize);
    }
    requireSpecial("bosToken", bosToken, specialTokens);
    requireSpecial("eosToken", eosToken, specialTokens);
    requireSpecial("padToken", padToken, specialTokens);
  }

  private static void requireSpecial(String field, String token, List<String> specialTokens) {
    if (token == null || !specialTokens.contains(token)) {
      throw new IllegalArgumentException(
          field + " must be one of specialTokens " + specialTokens + ", got " + token);
    }
  }

  /**
   * A builder starting from the defaults: 512 tokens, minFrequency 2, EOS=BOS={@value
   * #END_OF_TEXT}, PAD={@value #PAD}.
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Learns the merges from {@code corpus}. Special tokens inside the texts are cut out before
   * counting, as the HuggingFace tokenizer matches them before pre-tokenization.
   *
   * @throws IllegalArgumentException if a text is null
   */
  public BpeModel train(Iterable<String> corpus) {
    // 1. word counts, sorted so that word indices do not depend on hash order
    Map<String, Long> wordCounts = new TreeMap<>();
    int textIndex = 0;
    for (String text : corpus) {
      if (text == null) {
        throw new IllegalArgumentException("corpus text " + textIndex + " is null");
      }
      for (String part : splitOnSpecials(text, specialTokens)) {
        for (String piece : BpeByteLevel.preTokenize(part)) {
          wordCounts.merge(BpeByteLevel.toByteLevel(piece), 1L, Long::sum);
        }
      }
      textIndex++;
    }
    int numWords = wordCounts.size();
    int[][] words = new int[numWords][];
    long[] freq = new long[numWords];
    int w = 0;
    for (Map.Entry<String, Long> e : wordCounts.entrySet()) {
      String word = e.getKey();
      words[w] = new int[word.length()];
      for (int k = 0; k < word.length(); k++) {
        words[w][k] = BpeByteLevel.charToByte(word.charAt(k)); // byte token id = byte value
      }
      freq[w] = e.getValue();
      w++;
    }

    List<String> tokens = new ArrayList<>();
    Map<String, Integer> ids = new HashMap<>();
    for (int b = 0; b < NUM_BYTES; b++) {
      String t = String.valueOf(BpeByteLevel.byteToChar(b));
      tokens.add(t);
      ids.put(t, b);
    }

    // 2. pair counts and the words each pair occurs in
    Map<Long, Long> pairCounts = new HashMap<>();
    Map<Long, Set<Integer>> pairWords = new HashMap<>();
    for (int i = 0; i < numWords; i++) {
      addPairs(words[i], freq[i], i, pairCounts, pairWords, null);
    }
    PriorityQueue<Candidate> queue = new PriorityQueue<>(Candidate.ORDER);
    pairCounts.forEach((key, count) -> queue.add(Candidate.of(key, count)));

    // 3. merge the most frequent pair until the vocabulary is full
    List<int[]> merges = new ArrayList<>();
    int targetRegular = vocabSize - specialTokens.size();
    while (tokens.size() < targetRegular && !queue.isEmpty()) {
      Candidate top = queue.poll();
      long key = BpeModel.pairKey(top.left, top.right);
      long current = pairCounts.getOrDefault(key, 0L);
      if (current != top.count) {
        continue; // stale entry: the pair's count changed after it was queued
      }
      if (current < minFrequency) {
        break;
      }
      String merged = tokens.get(top.left) + tokens.get(top.right);
      Integer mergedId = ids.get(merged);
      if (mergedId == null) { // another merge may already have built the same string
        mergedId = tokens.size();
        tokens.add(merged);
        ids.put(merged, mergedId);
      }
      merges.add(new int[] {top.left, top.right});

      Set<Long> changed = new HashSet<>();
      Set<Integer> holders = pairWords.remove(key); // may list words that no longer hold it
      int[] affected =
          holders == null
              ? new int[0]
              : holders.stream().mapToInt(Integer::intValue).sorted().toArray();
      for (int i : affected) {
        int[] before = words[i];
        int[] after = mergeWord(before, top.left, top.right, mergedId);
        if (after.length == before.length) {
          continue;
        }
        removePairs(before, freq[i], pairCounts, changed);
        addPairs(after, freq[i], i, pairCounts, pairWords, changed);
        words[i] = after;
      }
      for (long k : changed) {
        long count = pairCounts.getOrDefault(k, 0L);
        if (count > 0) {
          queue.add(Candidate.of(k, count));
        } else {
          pairCounts.remove(k);
        }
      }
    }

    for (String s : specialTokens) {
      if (ids.containsKey(s)) {
        throw new IllegalStateException("special token '" + s + "' was also learned as a merge");
      }
      ids.put(s, tokens.size());
      tokens.add(s);
    }
    return new BpeModel(tokens, merges, specialTokens, bosToken, eosToken, padToken);
  }

  /** Replaces each non-overlapping (left, right), scanning left to right, by {@code merged}. */
  static int[] mergeWord(int[] symbols, int left, int right, int merged) {
    int[] out = new int[symbols.length];
    int n = 0;
    int k = 0;
    while (k < symbols.length) {
      if (k + 1 < symbols.length && symbols[k] == left && symbols[k + 1] == right) {
        out[n++] = merged;
        k += 2;
      } else {
        out[n++] = symbols[k++];
      }
    }
    return n == symbols.length ? symbols : Arrays.copyOf(out, n);
  }

  private static void addPairs(
      int[] symbols,
      long freq,
      int wordIndex,
      Map<Long, Long> pairCounts,
      Map<Long, Set<Integer>> pairWords,
      Set<Long> changed) {
    for (int k = 0; k + 1 < symbols.length; k++) {
      long key = BpeModel.pairKey(symbols[k], symbols[k + 1]);
      pairCounts.merge(key, freq, Long::sum);
      pairWords.computeIfAbsent(key, x -> new HashSet<>()).add(wordIndex);
      if (changed != null) {
        changed.add(key);
      }
    }
  }

  private static void removePairs(
      int[] symbols, long freq, Map<Long, Long> pairCounts, Set<Long> changed) {
    for (int k = 0; k + 1 < symbols.length; k++) {
      long key = BpeModel.pairKey(symbols[k], symbols[k + 1]);
      pairCounts.merge(key, -freq, Long::sum);
      changed.add(key);
    }
  }

  /** Cuts every occurrence of a special token (leftmost-longest) out of {@code text}. */
  static List<String> splitOnSpecials(String text, List<String> specials) {
    List<String> parts = new ArrayList<>();
    int start = 0;
    int i = 0;
    while (i < text.length()) {
      int len = 0;
      for (String s : specials) {
        if (s.length() > len && text.startsWith(s, i)) {
          len = s.length();
        }
      }
      if (len == 0) {
        i++;
      } else {
        parts.add(text.substring(start, i));
        i += len;
        start = i;
      }
    }
    parts.add(text.substring(start));
    parts.removeIf(String::isEmpty);
    return parts;
  }

  /** A queued pair with the count it had when queued; higher count first, then smaller ids. */
  private record Candidate(long count, int left, int right) {
    static final Comparator<Candidate> ORDER =
        Comparator.comparingLong(Candidate::count)
            .reversed()
            .thenComparingInt(Candidate::left)
            .thenComparingInt(Candidate::right);

    static Candidate of(long key, long count) {
      return new Candidate(count, (int) (key >>> 32), (int) key);
    }
  }

  /** Builder for {@link BpeTrainer}; starts from the documented defaults. */
  public static final class Builder {
    private int vocabSize = 512;
    private int minFrequency = 2;
    private List<String> specialTokens = List.of(END_OF_TEXT, PAD);
    private String bosToken = END_OF_TEXT;
    private String eosToken = END_OF_TEXT;
    private String padToken = PAD;

    private Builder() {}

    /** Target vocabulary size, bytes and special tokens included (default 512). */
    public Builder vocabSize(int vocabSize) {
      this.vocabSize = vocabSize;
      return this;
    }

    /** Minimum weighted pair count for a merge (default 2). */
    public Builder minFrequency(int minFrequency) {
      this.minFrequency = minFrequency;
      return this;
    }

    /** Special tokens in id order (default {@code <|endoftext|>, <|pad|>}). */
    public Builder specialTokens(String... specialTokens) {
      this.specialTokens = List.of(specialTokens);
      return this;
    }

    /** Special tokens in id order (default {@code <|endoftext|>, <|pad|>}). */
    public Builder specialTokens(List<String> specialTokens) {
      this.specialTokens = List.copyOf(specialTokens);
      return this;
    }

    /** Beginning-of-sequence token, one of the special tokens (default {@code <|endoftext|>}). */
    public Builder bosToken(String bosToken) {
      this.bosToken = bosToken;
      return this;
    }

    /** End-of-sequence token, one of the special tokens (default {@code <|endoftext|>}). */
    public Builder eosToken(String eosToken) {
      this.eosToken = eosToken;
      return this;
    }

    /** Padding token, one of the special tokens (default {@code <|pad|>}). */
    public Builder padToken(String padToken) {
      this.padToken = padToken;
      return this;
    }

    public BpeTrainer build() {
      return new BpeTrainer(vocabSize, minFrequency, specialTokens, bosToken, eosToken, padToken);
    }
  }
}
