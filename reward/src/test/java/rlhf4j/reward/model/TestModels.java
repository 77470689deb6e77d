package rlhf4j.reward.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import rlhf4j.policy.family.Architectures;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.model.ModelConfig;

/** Tiny configs and a word-level tokenizer for the reward-model tests. */
final class TestModels {
  private TestModels() {}

  /** GPT-2 "nano" shape (D 32, 2 layers, 2 heads) with a small vocabulary. */
  static ModelConfig nano(int vocab) {
    return withVocab(Presets.config("nano"), vocab);
  }

  /** A copy of {@code c} with another vocabulary size. */
  static ModelConfig withVocab(ModelConfig c, int vocab) {
    return c.toBuilder().vocabSize(vocab).build();
  }

  /** A one-layer GPT-2 of width {@code d} (for statistics of the head init). */
  static ModelConfig wide(int d) {
    return ModelConfig.builder(Architectures.GPT2)
        .vocabSize(16)
        .hiddenSize(d)
        .numLayers(1)
        .numHeads(1)
        .intermediateSize(4)
        .maxPositions(16)
        .bosTokenId(0)
        .eosTokenId(0)
        .build();
  }

  /**
   * Writes a whitespace-split word-level {@code tokenizer.json} to {@code dir}: ids 0 {@code
   * <pad>}, 1 {@code <eos>}, 2 {@code <unk>}, then {@code words} from 3 on.
   */
  static Path wordLevelTokenizer(Path dir, List<String> words) throws IOException {
    Files.createDirectories(dir);
    JsonObject vocab = new JsonObject();
    vocab.addProperty("<pad>", 0);
    vocab.addProperty("<eos>", 1);
    vocab.addProperty("<unk>", 2);
    for (int i = 0; i < words.size(); i++) {
      vocab.addProperty(words.get(i), i + 3);
    }
    JsonObject model = new JsonObject();
    model.addProperty("type", "WordLevel");
    model.add("vocab", vocab);
    model.addProperty("unk_token", "<unk>");
    JsonObject pre = new JsonObject();
    pre.addProperty("type", "WhitespaceSplit");
    JsonArray added = new JsonArray();
    String[] specials = {"<pad>", "<eos>", "<unk>"};
    for (int i = 0; i < specials.length; i++) {
      JsonObject t = new JsonObject();
      t.addProperty("id", i);
      t.addProperty("content", specials[i]);
      t.addProperty("single_word", false);
      t.addProperty("lstrip", false);
      t.addProperty("rstrip", false);
      t.addProperty("normalized", false);
      t.addProperty("special", true);
      added.add(t);
    }
    JsonObject tok = new JsonObject();
    tok.addProperty("version", "1.0");
    tok.add("truncation", JsonNull.INSTANCE);
    tok.add("padding", JsonNull.INSTANCE);
    tok.add("added_tokens", added);
    tok.add("normalizer", JsonNull.INSTANCE);
    tok.add("pre_tokenizer", pre);
    tok.add("post_processor", JsonNull.INSTANCE);
    tok.add("decoder", JsonNull.INSTANCE);
    tok.add("model", model);
    Files.writeString(dir.resolve("tokenizer.json"), tok.toString());
    Files.writeString(
        dir.resolve("tokenizer_config.json"),
        "{\"eos_token\": \"<eos>\", \"pad_token\": \"<pad>\"}");
    return dir;
  }
}
