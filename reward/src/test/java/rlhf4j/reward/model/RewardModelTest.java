package rlhf4j.reward.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.reward.RewardFunction.Sample;

class RewardModelTest {
  private static final int VOCAB = 40;
  private static final List<long[]> SEQUENCES =
      List.of(
          new long[] {5, 9, 12},
          new long[] {3, 4, 5, 6, 7, 8, 9},
          new long[] {30, 1, 2, 17, 39},
          new long[] {11});

  private static ModelConfig config(String preset) {
    return TestModels.withVocab(Presets.config(preset), VOCAB);
  }

  @Test
  void scoreIsTheHeadDottedWithTheFinalHiddenStateOfTheLastToken() {
    try (RewardModel rm = RewardModel.random(config("nano"), 1);
        NDManager m = NDManager.newBaseManager()) {
      long[] ids = SEQUENCES.get(2);
      NDArray hidden =
          rm.backbone()
              .forward(m.create(ids, new Shape(1, ids.length)), null, null, false, false)
              .hidden(); // (1, T, D)
      float[] h = hidden.toFloatArray();
      float[] w = rm.scoreWeight().toFloatArray();
      int d = w.length;
      double expected = 0;
      for (int i = 0; i < d; i++) {
        expected += (double) h[(ids.length - 1) * d + i] * w[i];
      }
      assertEquals(expected, rm.scoreIds(List.of(ids))[0], 1e-5);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"nano", "tiny-llama", "tiny-neox"})
  void leftAndRightPaddingAndScoringAloneGiveTheSameScores(String preset) {
    try (RewardModel rm = RewardModel.random(config(preset), 2);
        NDManager m = NDManager.newBaseManager()) {
      float[] rightPadded = rm.scoreIds(SEQUENCES); // one right-padded batch
      int b = SEQUENCES.size();
      int t = 7;
      long[] ids = new long[b * t];
      long[] mask = new long[b * t];
      java.util.Arrays.fill(ids, 13); // a real token id as padding: the mask must hide it
      for (int i = 0; i < b; i++) {
        long[] s = SEQUENCES.get(i);
        for (int j = 0; j < s.length; j++) {
          ids[i * t + (t - s.length) + j] = s[j];
          mask[i * t + (t - s.length) + j] = 1;
        }
      }
      float[] leftPadded =
          rm.forward(m.create(ids, new Shape(b, t)), m.create(mask, new Shape(b, t)), false)
              .toFloatArray();
      assertArrayEquals(rightPadded, leftPadded, 1e-5f);
      for (int i = 0; i < b; i++) {
        float alone = rm.scoreIds(List.of(SEQUENCES.get(i)))[0];
        assertEquals(alone, rightPadded[i], 1e-5f, "sequence " + i);
      }
      assertFalse(rightPadded[0] == rightPadded[1], "different sequences, different scores");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"nano", "tiny-llama", "tiny-neox"})
  void saveThenLoadGivesIdenticalScoresAndAnHfSequenceClassificationFolder(
      String preset, @TempDir Path dir) throws IOException {
    ModelConfig config = config(preset);
    float[] before;
    try (RewardModel rm = RewardModel.random(config, 3)) {
      before = rm.scoreIds(SEQUENCES);
      rm.save(dir);
    }
    JsonObject json =
        JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
    String arch = json.getAsJsonArray("architectures").get(0).getAsString();
    assertEquals(
        switch (preset) {
          case "nano" -> "GPT2ForSequenceClassification";
          case "tiny-llama" -> "LlamaForSequenceClassification";
          default -> "GPTNeoXForSequenceClassification";
        },
        arch);
    assertEquals(1, json.get("num_labels").getAsInt());
    assertEquals("LABEL_0", json.getAsJsonObject("id2label").get("0").getAsString());
    Set<String> keys = SafeTensors.read(dir.resolve("model.safetensors")).tensors().keySet();
    assertTrue(keys.contains("score.weight"));
    String prefix = CausalLM.backbonePrefix(config);
    for (String k : keys) {
      assertTrue(k.equals("score.weight") || k.startsWith(prefix), k);
    }
    assertEquals(config, HfConfig.read(dir), "config.json keeps the declared shape");
    assertTrue(RewardModel.isRewardCheckpoint(dir));
    try (RewardModel loaded = RewardModel.load(dir)) {
      assertArrayEquals(before, loaded.scoreIds(SEQUENCES), 0f);
      assertEquals(config, loaded.config());
    }
  }

  @Test
  void aLanguageModelFolderIsNotARewardModelButCanSeedOne(@TempDir Path dir) throws IOException {
    ModelConfig config = config("tiny-llama"); // untied LM head
    try (CausalLM lm = CausalLM.random(config, 4)) {
      HfCheckpoint.save(lm, dir);
    }
    CheckpointException e = assertThrows(CheckpointException.class, () -> RewardModel.load(dir));
    assertTrue(e.getMessage().contains("score.weight"), e.getMessage());
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    assertFalse(RewardModel.isRewardCheckpoint(dir));
    try (RewardModel rm = RewardModel.fromPretrained(dir, 5);
        CausalLM lm = CausalLM.random(config, 4)) {
      assertFalse(rm.parameters().containsKey("lm_head.weight"));
      assertArrayEquals(
          lm.parameters().get("model.embed_tokens.weight").toFloatArray(),
          rm.parameters().get("model.embed_tokens.weight").toFloatArray(),
          0f);
      assertEquals(config.numLayers(), rm.config().numLayers());
      assertFalse(rm.config().tieWordEmbeddings(), "the declared config is kept");
      assertEquals(SEQUENCES.size(), rm.scoreIds(SEQUENCES).length);
    }
  }

  @Test
  void aClassifierWithTwoLabelsIsRejected(@TempDir Path dir) throws IOException {
    try (RewardModel rm = RewardModel.random(config("nano"), 3)) {
      rm.save(dir);
    }
    Path file = dir.resolve("config.json");
    Files.writeString(
        file, Files.readString(file).replace("\"num_labels\": 1", "\"num_labels\": 2"));
    CheckpointException e = assertThrows(CheckpointException.class, () -> RewardModel.load(dir));
    assertTrue(e.getMessage().contains("num_labels 1"), e.getMessage());
  }

  @Test
  void scoreHeadIsSeededWithStdOneOverRootDPlusOne() {
    int d = 512;
    try (RewardModel a = RewardModel.random(TestModels.wide(d), 6);
        RewardModel b = RewardModel.random(TestModels.wide(d), 6);
        RewardModel c = RewardModel.random(TestModels.wide(d), 7)) {
      float[] w = a.scoreWeight().toFloatArray();
      double mean = 0;
      double sq = 0;
      for (float x : w) {
        mean += x;
        sq += (double) x * x;
      }
      mean /= d;
      double std = Math.sqrt(sq / d - mean * mean);
      double expected = 1 / Math.sqrt(d + 1.0); // 0.0442
      assertEquals(expected, std, 0.1 * expected);
      assertEquals(0, mean, 4 * expected / Math.sqrt(d));
      assertArrayEquals(w, b.scoreWeight().toFloatArray(), 0f);
      assertFalse(java.util.Arrays.equals(w, c.scoreWeight().toFloatArray()));
    }
  }

  @Test
  void textSamplesAreEncodedAsPromptIdsFollowedByResponseIds(@TempDir Path dir) throws IOException {
    List<String> words = List.of("the", "movie", "was", "great", "awful", "really");
    try (Tokenizer tok = Tokenizer.load(TestModels.wordLevelTokenizer(dir, words));
        RewardModel rm = RewardModel.random(config("nano"), 8).optTokenizer(tok)) {
      assertArrayEquals(new long[] {3, 4, 5, 8, 6}, rm.encode("the movie was", " really great"));
      float[] byText =
          rm.score(List.of(Sample.of("the movie was", " great"), Sample.of("the", " awful")));
      float[] byIds = rm.scoreIds(List.of(new long[] {3, 4, 5, 6}, new long[] {3, 7}));
      assertArrayEquals(byIds, byText, 1e-6f);
      // ids win over text when a sample has them
      Sample withIds = new Sample("ignored", "ignored", new long[] {3, 4}, new long[] {5, 6});
      assertEquals(byIds[0], rm.score(List.of(withIds))[0], 1e-6f);
    }
  }

  @Test
  void textWithoutATokenizerIsAStateError() {
    try (RewardModel rm = RewardModel.random(config("nano"), 8)) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class, () -> rm.score(List.of(Sample.of("hi", " there"))));
      assertTrue(e.getMessage().contains("optTokenizer"), e.getMessage());
    }
  }

  @Test
  void idsOutsideTheVocabularyAreRejected() {
    try (RewardModel rm = RewardModel.random(config("nano"), 8)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> rm.scoreIds(List.of(new long[] {1, VOCAB})));
      assertTrue(e.getMessage().contains("outside the vocabulary"), e.getMessage());
    }
  }

  @Test
  void aFullyMaskedRowIsRejected() {
    try (RewardModel rm = RewardModel.random(config("nano"), 8);
        NDManager m = NDManager.newBaseManager()) {
      NDArray ids = m.create(new long[] {1, 2, 3, 4}, new Shape(2, 2));
      NDArray mask = m.create(new long[] {1, 1, 0, 0}, new Shape(2, 2));
      assertThrows(IllegalArgumentException.class, () -> rm.forward(ids, mask, false));
    }
  }
}
