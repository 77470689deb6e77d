package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunction.Sample;
import rlhf4j.reward.model.RewardModel;
import rlhf4j.reward.model.RewardModelProvider;

class TrainRewardCommandTest {
  private static final List<String> FILLER =
      List.of("the", "a", "film", "book", "was", "is", "very", "quite", "story", "end");

  @TempDir Path dir;

  /** Whitespace word-level tokenizer: 0 <pad>, 1 <eos>, 2 <unk>, then the words. */
  private Path tokenizer() throws IOException {
    Path tokDir = dir.resolve("tokenizer");
    Files.createDirectories(tokDir);
    List<String> words = new ArrayList<>(FILLER);
    words.add("good");
    words.add("bad");
    JsonObject vocab = new JsonObject();
    String[] specials = {"<pad>", "<eos>", "<unk>"};
    JsonArray added = new JsonArray();
    for (int i = 0; i < specials.length; i++) {
      vocab.addProperty(specials[i], i);
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
    for (int i = 0; i < words.size(); i++) {
      vocab.addProperty(words.get(i), i + 3);
    }
    JsonObject model = new JsonObject();
    model.addProperty("type", "WordLevel");
    model.add("vocab", vocab);
    model.addProperty("unk_token", "<unk>");
    JsonObject pre = new JsonObject();
    pre.addProperty("type", "WhitespaceSplit");
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
    Files.writeString(tokDir.resolve("tokenizer.json"), tok.toString());
    Files.writeString(
        tokDir.resolve("tokenizer_config.json"),
        "{\"eos_token\": \"<eos>\", \"pad_token\": \"<pad>\"}");
    return tokDir;
  }

  private static String words(SplittableRandom rng, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(' ').append(FILLER.get(rng.nextInt(FILLER.size())));
    }
    return sb.toString();
  }

  /** Chosen completions contain "good", rejected ones "bad", among random filler words. */
  private Path data(int n) throws IOException {
    SplittableRandom rng = new SplittableRandom(1);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      JsonObject o = new JsonObject();
      o.addProperty("prompt", words(rng, 2 + rng.nextInt(3)).trim());
      o.addProperty(
          "chosen", words(rng, 1 + rng.nextInt(3)) + " good" + words(rng, rng.nextInt(2)));
      o.addProperty(
          "rejected", words(rng, 1 + rng.nextInt(3)) + " bad" + words(rng, rng.nextInt(2)));
      sb.append(o).append('\n');
    }
    Path f = dir.resolve("prefs.jsonl");
    Files.writeString(f, sb.toString());
    return f;
  }

  private Path config(String extraTrainerLines) throws IOException {
    return config("  preset: nano", extraTrainerLines);
  }

  /**
   * The test config with {@code modelLines} (the model's source and extra keys) and {@code
   * extraTrainerLines} (after which further sections, e.g. lora, may follow).
   */
  private Path config(String modelLines, String extraTrainerLines) throws IOException {
    String yaml =
        String.join(
            "\n",
            "model:",
            modelLines,
            "  seed: 3",
            "  tokenizer: " + tokenizer(),
            "data:",
            "  path: " + data(160),
            "  eval_fraction: 0.25",
            "trainer:",
            "  output_dir: " + dir.resolve("out"),
            "  logging_steps: 5",
            "  num_train_epochs: 4",
            "  per_device_train_batch_size: 16",
            "  learning_rate: 2.0e-3",
            "  center_rewards_coefficient: 0.01",
            "  seed: 7",
            extraTrainerLines);
    Path f = dir.resolve("train-reward.yaml");
    Files.writeString(f, yaml + "\n");
    return f;
  }

  @Test
  void trainsAndWritesAnHfRewardModelFolder() throws IOException {
    CliRun.Result r = CliRun.run("train-reward", "--config", config("").toString());
    assertEquals(0, r.code(), r.err());
    Path out = dir.resolve("out");
    assertTrue(r.out().contains("160 pairs (120 train, 40 held out)"), r.out());
    JsonObject json =
        JsonParser.parseString(Files.readString(out.resolve("config.json"))).getAsJsonObject();
    assertEquals(
        "GPT2ForSequenceClassification", json.getAsJsonArray("architectures").get(0).getAsString());
    assertEquals(1, json.get("num_labels").getAsInt());
    assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
    assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    // 120 pairs / 16 = 8 steps per epoch, 4 epochs, plus one evaluation per epoch
    assertEquals(32 + 4, metrics.size());
    JsonObject lastEval = JsonParser.parseString(metrics.get(metrics.size() - 1)).getAsJsonObject();
    assertTrue(lastEval.get("time/wall_s").getAsDouble() > 0, metrics.get(metrics.size() - 1));
    double accuracy = lastEval.get("eval/accuracy").getAsDouble();
    System.out.println("train-reward CLI: held-out accuracy " + accuracy);
    assertTrue(accuracy >= 0.95, "held-out accuracy " + accuracy);
    // the saved folder is a usable reward model with its tokenizer
    try (Tokenizer tok = Tokenizer.load(out);
        RewardModel rm = RewardModel.load(out).optTokenizer(tok)) {
      float[] s =
          rm.score(List.of(Sample.of("the film", " was good"), Sample.of("the film", " was bad")));
      assertTrue(s[0] > s[1], s[0] + " vs " + s[1]);
    }
  }

  @Test
  void anUnknownKeyIsNamedWithTheValidOnes() throws IOException {
    CliRun.Result r =
        CliRun.run("train-reward", "--config", config("  lerning_rate: 0.1").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown key 'trainer.lerning_rate'"), r.err());
    assertTrue(r.err().contains("did you mean `learning_rate`?"), r.err());
    assertTrue(r.err().contains("valid keys in trainer: output_dir, logging_steps"), r.err());
    assertTrue(r.err().contains("learning_rate"), r.err());
    assertTrue(r.err().contains("center_rewards_coefficient"), r.err());
    // reported before the checks of the keys that are there, even when required keys are missing
    Path partial = dir.resolve("partial.yaml");
    Files.writeString(partial, "model:\n  preset: nano\n  sed: 1\n");
    r = CliRun.run("train-reward", "--config", partial.toString());
    assertEquals(2, r.code());
    assertTrue(
        r.err()
            .contains(
                partial
                    + ": unknown key 'model.sed'; did you mean `seed`? valid keys in model: preset,"
                    + " dir, tokenizer, seed"),
        r.err());
  }

  @Test
  void aBadValueNamesTheKey() throws IOException {
    CliRun.Result r =
        CliRun.run(
            "train-reward", "--config", config("  per_device_eval_batch_size: many").toString());
    assertEquals(2, r.code());
    assertTrue(
        r.err().contains("trainer.per_device_eval_batch_size must be an integer, got 'many'"),
        r.err());
    r = CliRun.run("train-reward", "--config", config("  warmup_ratio: 2").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("trainer.warmup_ratio must be in [0, 1], got 2.0"), r.err());
  }

  @Test
  void helpDocumentsTheConfigKeys() {
    CliRun.Result r = CliRun.run("train-reward", "--help");
    assertEquals(0, r.code());
    for (String key :
        List.of(
            "--config",
            "model.preset",
            "data.path",
            "learning_rate",
            "center_rewards_coefficient")) {
      assertTrue(r.out().contains(key), key + " in\n" + r.out());
    }
  }

  @Test
  void theExampleConfigParses() {
    Path example = Path.of("configs/train-reward.yaml");
    TrainRewardConfig c = TrainRewardConfig.read(example);
    assertEquals("nano", c.model().preset());
    assertEquals(1e-3, c.trainer().learningRate());
    assertEquals(0.25, c.evalFraction());
    assertEquals(null, c.lora());
  }

  @Test
  void theCommentedLoraExampleParsesWhenUncommented() throws IOException {
    String text =
        Files.readString(Path.of("configs/train-reward.yaml"))
            .replace("# lora:", "lora:")
            .replaceAll("(?m)^#   ", "  ")
            .replace("  # gradient_checkpointing:", "  gradient_checkpointing:")
            .replace("  # base_dtype:", "  base_dtype:");
    Path f = dir.resolve("uncommented.yaml");
    Files.writeString(f, text);
    TrainRewardConfig c = TrainRewardConfig.read(f);
    assertEquals(16, c.lora().r());
    assertEquals(List.of("c_attn", "c_proj", "c_fc"), c.lora().targetModules());
    assertTrue(c.trainer().gradientCheckpointing());
    assertEquals("int8", c.model().baseDtype().configName());
  }

  private static final String LORA =
      "lora:\n  r: 8\n  lora_alpha: 16\n  target_modules: [c_attn, c_proj, c_fc]";

  @Test
  void withALoraSectionItTrainsAnAdapterThatTheRewardModelRewardLoads() throws Exception {
    Path base = dir.resolve("base");
    try (RewardModel rm = RewardModel.random(Presets.config("nano"), 3)) {
      rm.save(base);
    }
    CliRun.Result r =
        CliRun.run("train-reward", "--config", config("  dir: " + base, LORA).toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("LoRA r 8 on a frozen fp32 base"), r.out());
    Path out = dir.resolve("out");
    assertTrue(Files.isRegularFile(out.resolve("adapter_model.safetensors")));
    assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
    assertTrue(!Files.exists(out.resolve("model.safetensors")), "no full model is written");
    JsonObject cfg =
        JsonParser.parseString(Files.readString(out.resolve("adapter_config.json")))
            .getAsJsonObject();
    assertEquals("SEQ_CLS", cfg.get("task_type").getAsString());
    assertEquals("[\"score\"]", cfg.get("modules_to_save").toString());
    assertEquals(base.toString(), cfg.get("base_model_name_or_path").getAsString());
    assertTrue(heldOutAccuracy(out) >= 0.9, "held-out accuracy " + heldOutAccuracy(out));
    // an adapter folder is not a model to start from
    Path again = config("  dir: " + out, "  output_dir: " + dir.resolve("out2"));
    String yaml = Files.readString(again).replaceFirst("  output_dir: .*/out\n", "");
    Files.writeString(again, yaml);
    CliRun.Result refused = CliRun.run("train-reward", "--config", again.toString());
    assertEquals(2, refused.code(), refused.err());
    assertTrue(refused.err().contains("model.dir " + out + " is a LoRA adapter"), refused.err());
    // ppo/grpo/rloo's reward-model reward loads it, base from adapter_config.json
    RewardFunction f = new RewardModelProvider().create(Map.of("path", out.toString()));
    try {
      float[] s =
          f.score(List.of(Sample.of("the film", " was good"), Sample.of("the film", " was bad")));
      assertTrue(s[0] > s[1], s[0] + " vs " + s[1]);
    } finally {
      ((AutoCloseable) f).close();
    }
  }

  @Test
  void anInt8BaseWithLoraAndGradientCheckpointingTrains() throws IOException {
    CliRun.Result r =
        CliRun.run(
            "train-reward",
            "--config",
            config("  preset: nano\n  base_dtype: int8", "  gradient_checkpointing: true\n" + LORA)
                .toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("on a frozen int8 base"), r.out());
    double accuracy = heldOutAccuracy(dir.resolve("out"));
    System.out.println("train-reward CLI, LoRA on int8: held-out accuracy " + accuracy);
    assertTrue(accuracy >= 0.9, "held-out accuracy " + accuracy);
  }

  private static double heldOutAccuracy(Path out) throws IOException {
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    return JsonParser.parseString(metrics.get(metrics.size() - 1))
        .getAsJsonObject()
        .get("eval/accuracy")
        .getAsDouble();
  }

  @Test
  void badLoraCombinationsExitTwoNamingTheKey() throws IOException {
    CliRun.Result r =
        CliRun.run(
            "train-reward",
            "--config",
            config("  preset: nano\n  base_dtype: int8", "").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("model.base_dtype int8"), r.err());
    assertTrue(r.err().contains("add a lora section"), r.err());
    r =
        CliRun.run(
            "train-reward",
            "--config",
            config("  preset: nano\n  base_dtype: int4", "").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("model.base_dtype"), r.err());
    r =
        CliRun.run(
            "train-reward",
            "--config",
            config("  preset: nano", LORA + "\n  modules_to_save: [lm_head]").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("lora.modules_to_save"), r.err());
    assertTrue(r.err().contains("score head"), r.err());
    r =
        CliRun.run(
            "train-reward", "--config", config("  preset: nano", LORA + "\n  rank: 4").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown key 'lora.rank'"), r.err());
    r =
        CliRun.run(
            "train-reward",
            "--config",
            config("  preset: nano", "  gradient_checkpointing: maybe").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("trainer.gradient_checkpointing"), r.err());
  }
}
