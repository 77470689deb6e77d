package rlhf4j.policy.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
  private static final String[] SUBJECTS = {"movie", "film", "acting", "plot", "soundtrack"};
  private static final String[] ADJECTIVES = {
    "brilliant", "gripping", "dull", "boring", "wonderful", "tedious", "charming", "awful"
  };

  /** Texts that stress the pre-tokenizer: contractions, digits, runs of spaces, non-ASCII. */
  private static final List<String> TRICKY =
      List.of(
          "the movie was brilliant .",
          "Hello world's  end!!\n",
          "don't it's we'll I'm they've you're he'd",
          "  leading and trailing spaces  ",
          "tabs\tand\nnew\r\nlines\n\n",
          "numbers 12345 and 3.14159, 2nd place",
          "héllo wörld, café crème brûlée",
          "emoji 🎬🍿 and 👍🏽 thumbs",
          "日本語のテキスト and Ελληνικά",
          "no\u00a0break\u3000ideographic\u2009thin space",
          "x\u00a0\u00a0word\u3000\u3000 next\u2009\u2009!\u0085\u0085y\u000b\u000bz",
          "symbols: @#$%^&*()_+-=[]{}|;'\",.<>/?`~",
          "e\u0301 combining accent",
          "");

  private static List<String> corpus;

  @TempDir static Path tmp;

  @BeforeAll
  static void makeCorpus() {
    Random rng = new Random(7);
    corpus = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      String s = SUBJECTS[rng.nextInt(SUBJECTS.length)];
      String a = ADJECTIVES[rng.nextInt(ADJECTIVES.length)];
      corpus.add("the " + s + " was " + a + " .");
    }
    corpus.add("a café with crème brûlée 🎬🎬 é é é");
    corpus.add("I'm sure it's 2024, we'll see.");
  }

  private static HuggingFaceTokenizer load(Path dir) throws IOException {
    return HuggingFaceTokenizer.builder()
        .optTokenizerPath(dir)
        .optTruncation(false)
        .optPadding(false)
        .optAddSpecialTokens(false)
        .build();
  }

  private static Path trainAndWrite(BpeTrainer trainer, String name) throws IOException {
    Path dir = tmp.resolve(name);
    trainer.train(corpus).writeTo(dir);
    return dir;
  }

  @Test
  void huggingFaceRoundTripsAsciiAndUtf8Text() throws IOException {
    Path dir = trainAndWrite(BpeTrainer.builder().vocabSize(400).build(), "roundtrip");
    try (HuggingFaceTokenizer hf = load(dir)) {
      for (String text : TRICKY) {
        long[] ids = hf.encode(text).getIds();
        assertEquals(text, hf.decode(ids, false), "round trip of '" + text + "'");
      }
    }
  }

  @Test
  void javaEncoderGivesTheSameIdsAsHuggingFace() throws IOException {
    BpeModel model = BpeTrainer.builder().vocabSize(400).build().train(corpus);
    Path dir = tmp.resolve("same-ids");
    model.writeTo(dir);
    List<String> texts = new ArrayList<>(TRICKY);
    texts.addAll(corpus.subList(0, 50));
    texts.add("the film was brilliant .<|endoftext|>the plot<|pad|><|pad|>");
    texts.add("<|endoftext|");
    try (HuggingFaceTokenizer hf = load(dir)) {
      for (String text : texts) {
        long[] ours = model.encode(text);
        assertArrayEquals(hf.encode(text).getIds(), ours, "ids of '" + text + "'");
        assertEquals(text, model.decode(ours, false), "java round trip of '" + text + "'");
      }
    }
  }

  @Test
  void javaEncoderMatchesHuggingFaceWhenTheTrickyTextIsMerged() throws IOException {
    // trained on the tricky texts themselves, merges span the odd characters, so a pre-token
    // boundary placed differently from HuggingFace's changes the ids
    List<String> tricky = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      tricky.addAll(TRICKY);
    }
    BpeModel model = BpeTrainer.builder().vocabSize(2000).build().train(tricky);
    assertTrue(model.numMerges() > 200, "merges: " + model.numMerges());
    Path dir = tmp.resolve("tricky");
    model.writeTo(dir);
    try (HuggingFaceTokenizer hf = load(dir)) {
      for (String text : TRICKY) {
        assertArrayEquals(hf.encode(text).getIds(), model.encode(text), "ids of '" + text + "'");
      }
    }
  }

  @Test
  void frequentWordsBecomeSingleTokens() throws IOException {
    Path dir = trainAndWrite(BpeTrainer.builder().vocabSize(400).build(), "frequent");
    try (HuggingFaceTokenizer hf = load(dir)) {
      Encoding enc = hf.encode("the movie was brilliant .");
      assertArrayEquals(
          new String[] {"the", "Ġmovie", "Ġwas", "Ġbrilliant", "Ġ."}, enc.getTokens());
    }
  }

  @Test
  void specialTokensGetTheLastIdsAndMapToThem() throws IOException {
    BpeModel model = BpeTrainer.builder().vocabSize(330).build().train(corpus);
    assertEquals(330, model.vocabSize());
    assertEquals(330 - 256 - 2, model.numMerges());
    assertEquals(328, model.eosId());
    assertEquals(328, model.bosId());
    assertEquals(329, model.padId());
    assertEquals(329, model.specialTokenId(BpeTrainer.PAD));
    Path dir = tmp.resolve("specials");
    model.writeTo(dir);
    try (HuggingFaceTokenizer hf = load(dir)) {
      Encoding enc = hf.encode("the<|endoftext|><|pad|>");
      long[] ids = enc.getIds();
      assertEquals(3, ids.length);
      assertEquals(328, ids[1]);
      assertEquals(329, ids[2]);
      assertEquals("the", hf.decode(ids, true));
    }
    JsonObject cfg =
        JsonParser.parseString(Files.readString(dir.resolve(BpeModel.TOKENIZER_CONFIG_JSON)))
            .getAsJsonObject();
    assertEquals("<|endoftext|>", cfg.get("bos_token").getAsString());
    assertEquals("<|endoftext|>", cfg.get("eos_token").getAsString());
    assertEquals("<|pad|>", cfg.get("pad_token").getAsString());
  }

  @Test
  void batchPaddingUsesThePadTokenWithEitherLoadPath() throws IOException {
    Path dir = trainAndWrite(BpeTrainer.builder().vocabSize(330).build(), "padding");
    HuggingFaceTokenizer plain = HuggingFaceTokenizer.newInstance(dir);
    HuggingFaceTokenizer withConfig =
        HuggingFaceTokenizer.builder()
            .optTokenizerPath(dir)
            .optTokenizerConfigPath(dir.resolve(BpeModel.TOKENIZER_CONFIG_JSON).toString())
            .optPadding(true)
            .optTruncation(false)
            .build();
    for (HuggingFaceTokenizer hf : List.of(plain, withConfig)) {
      try (hf) {
        Encoding[] batch = hf.batchEncode(new String[] {"the", "the movie was dull ."});
        long[] shortIds = batch[0].getIds();
        assertEquals(batch[1].getIds().length, shortIds.length);
        assertEquals(329, shortIds[shortIds.length - 1]);
        assertEquals(0, batch[0].getAttentionMask()[shortIds.length - 1]);
        assertEquals("the movie was dull .", hf.decode(batch[1].getIds(), true));
      }
    }
  }

  @Test
  void mergesFollowHandCountedPairFrequencies() {
    // words: "ab" x1, "Ġab" x2, "Ġcd" x2 -> pairs (a,b)=3, (Ġ,a)=2, (Ġ,c)=2, (c,d)=2.
    // 1: "a b" (3) -> id 256. Then (Ġ,ab)=2, (Ġ,c)=2, (c,d)=2 tie: the smaller left id wins,
    // and a byte token's id is its byte value: Ġ (space) = 32 < c = 99; (Ġ,c) beats (Ġ,ab) on the
    // right id, 99 < 256. 2: "Ġ c" -> 257. Then (Ġ,ab)=2 (left 32) and (Ġc,d)=2 (left 257).
    // 3: "Ġ ab" -> 258, 4: "Ġc d" -> 259. No pair is left.
    BpeModel model = BpeTrainer.builder().vocabSize(1000).build().train(List.of("ab ab ab cd cd"));
    assertEquals(List.of("a b", "Ġ c", "Ġ ab", "Ġc d"), model.merges());
    assertEquals(256 + 4 + 2, model.vocabSize()); // no pair left: stops below vocabSize
    assertEquals(258, model.tokenToId("Ġab"));
    assertEquals(260, model.eosId());
    // " cda": Ġ c d a -> (Ġ,c) rank 1 -> Ġc d a -> (Ġc,d) rank 3 -> Ġcd a
    assertArrayEquals(new long[] {256, 258, 259, 97}, model.encode("ab ab cda"));
    // " dc": no merge applies
    assertArrayEquals(new long[] {32, 100, 99}, model.encode(" dc"));
  }

  @Test
  void vocabSizeCapsTheNumberOfMerges() {
    BpeModel model =
        BpeTrainer.builder().vocabSize(256 + 2 + 2).build().train(List.of("ab ab ab cd cd"));
    assertEquals(List.of("a b", "Ġ c"), model.merges());
    assertEquals(260, model.vocabSize());
    assertEquals(258, model.eosId());
  }

  @Test
  void minFrequencyKeepsRarePairsUnmerged() {
    BpeModel model =
        BpeTrainer.builder()
            .vocabSize(1000)
            .minFrequency(3)
            .build()
            .train(List.of("ab ab ab cd cd"));
    assertEquals(List.of("a b"), model.merges());
  }

  @Test
  void specialTokensInTheCorpusAreNotLearned() {
    BpeModel model =
        BpeTrainer.builder()
            .vocabSize(1000)
            .build()
            .train(List.of("x<|pad|>y", "x<|pad|>y", "x<|pad|>y"));
    assertEquals(List.of(), model.merges()); // only single-byte words remain: x and y
  }

  @Test
  void trainingTwiceGivesByteIdenticalFiles() throws IOException {
    BpeTrainer trainer = BpeTrainer.builder().vocabSize(450).build();
    Path a = trainAndWrite(trainer, "det-a");
    Path b = trainAndWrite(trainer, "det-b");
    for (String f : List.of(BpeModel.TOKENIZER_JSON, BpeModel.TOKENIZER_CONFIG_JSON)) {
      assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
    }
  }

  @Test
  void preTokenizerSplitsLikeGpt2() {
    assertEquals(
        List.of("Hello", " world", "'s", " ", " end", "!!", "\n"),
        BpeByteLevel.preTokenize("Hello world's  end!!\n"));
    assertEquals("Ġthe", BpeByteLevel.toByteLevel(" the"));
    assertEquals('Ċ', BpeByteLevel.byteToChar('\n'));
    assertEquals(' ', (char) BpeByteLevel.fromByteLevel("Ġ")[0]);
  }

  @Test
  void invalidSettingsNameTheField() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> BpeTrainer.builder().padToken("<pad>").build());
    assertTrue(e.getMessage().contains("padToken"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> BpeTrainer.builder().vocabSize(257).build());
    assertTrue(e.getMessage().contains("vocabSize"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> BpeTrainer.builder().minFrequency(0).build());
    assertTrue(e.getMessage().contains("minFrequency"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> BpeTrainer.builder().specialTokens("<|endoftext|>", "<|endoftext|>").build());
  }

  @Test
  void decodeRejectsUnknownIds() {
    BpeModel model = BpeTrainer.builder().build().train(List.of("ab"));
    assertThrows(IllegalArgumentException.class, () -> model.decode(new long[] {10_000}, false));
    assertEquals("", model.decode(new long[0], false));
    assertTrue(Arrays.equals(new long[0], model.encode("")));
  }
}
