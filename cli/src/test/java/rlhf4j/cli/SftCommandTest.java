package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.optim.LrScheduleType;
import rlhf4j.policy.sft.SftConfig;
import rlhf4j.policy.tokenizer.BpeTrainer;
import rlhf4j.policy.tokenizer.Tokenizer;

class SftCommandTest {
  private static final String[] SUBJECTS = {"movie", "film", "plot", "cast"};
  private static final String[] ADJECTIVES = {"great", "dull", "charming", "awful"};

  @TempDir static Path tmp;
  private static Path tokenizerDir;
  private static Path data;

  @BeforeAll
  static void tokenizerAndData() throws IOException {
    Random rng = new Random(3);
    List<String> corpus = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      corpus.add(
          "the "
              + SUBJECTS[rng.nextInt(SUBJECTS.length)]
              + " was "
              + ADJECTIVES[rng.nextInt(ADJECTIVES.length)]
              + " .");
    }
    tokenizerDir = tmp.resolve("tokenizer");
    BpeTrainer.builder().vocabSize(300).build().train(corpus).writeTo(tokenizerDir);
    StringBuilder jsonl = new StringBuilder();
    for (int i = 0; i < 24; i++) {
      String s = corpus.get(i);
      if (i % 2 == 0) {
        jsonl.append("{\"text\": \"").append(s).append("\"}\n");
      } else {
        int cut = s.indexOf(" was");
        jsonl
            .append("{\"prompt\": \"")
            .append(s, 0, cut)
            .append("\", \"completion\": \"")
            .append(s.substring(cut))
            .append("\"}\n");
      }
    }
    data = tmp.resolve("sft.jsonl");
    Files.writeString(data, jsonl + "\n");
  }

  private static Path yaml(String name, String trainer) throws IOException {
    Path out = tmp.resolve(name + "-out");
    String text =
        "model:\n"
            + "  preset: nano\n"
            + "  tokenizer: "
            + tokenizerDir
            + "\n"
            + "  vocab_from_tokenizer: true\n"
            + "  seed: 4\n"
            + "data:\n"
            + "  path: "
            + data
            + "\n"
            + "trainer:\n"
            + "  output_dir: "
            + out
            + "\n"
            + trainer;
    Path file = tmp.resolve(name + ".yaml");
    Files.writeString(file, text);
    return file;
  }

  @Test
  void trainsAPresetOnJsonlAndSavesALoadableHfFolder() throws IOException {
    Path config =
        yaml(
            "ok",
            "  learning_rate: 3.0e-3\n"
                + "  max_steps: 30\n"
                + "  per_device_train_batch_size: 8\n"
                + "  max_length: 32\n"
                + "  lr_scheduler_type: constant\n"
                + "  logging_steps: 10\n");
    CliRun.Result r = CliRun.run("sft", "--config", config.toString());
    System.out.print(r.out());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("step 30/30 (100%)"), r.out());
    Path out = tmp.resolve("ok-out");
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(3, metrics.size(), "one line every logging_steps");
    assertTrue(metrics.get(2).startsWith("{\"step\":30,\"time/wall_s\":"), metrics.get(2));
    assertTrue(metrics.get(2).contains("\"sft/loss\":"), metrics.get(2));
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    try (Tokenizer tok = Tokenizer.load(out);
        CausalLM trained = HfCheckpoint.load(out);
        CausalLM initial =
            SftCommand.loadModel(
                new ModelSource(null, "nano", tokenizerDir.toString(), true, 4L), tok)) {
      assertEquals(tok.vocabSize(), trained.config().vocabSize());
      assertEquals(tok.eosId(), trained.config().eosTokenId());
      String name = "transformer.h.0.attn.c_attn.weight";
      assertFalse(
          Arrays.equals(
              initial.parameters().get(name).toFloatArray(),
              trained.parameters().get(name).toFloatArray()),
          "the saved weights are the trained ones");
    }
    // the loss went down: first and last logged values
    String summary = r.out().lines().filter(l -> l.startsWith("saved ")).findFirst().orElseThrow();
    String[] losses = summary.replaceAll(".*loss ([0-9.]+) -> ([0-9.]+).*", "$1 $2").split(" ");
    assertTrue(Double.parseDouble(losses[1]) < Double.parseDouble(losses[0]) - 1, summary);
  }

  @Test
  void unknownKeyIsAnErrorNamingItAndListingTheValidKeys() throws IOException {
    Path config = yaml("typo", "  lerning_rate: 1.0e-3\n");
    CliRun.Result r = CliRun.run("sft", "--config", config.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown key 'trainer.lerning_rate'"), r.err());
    assertTrue(r.err().contains("learning_rate"), r.err());
    assertTrue(r.err().contains("did you mean `learning_rate`?"), r.err());
    assertTrue(r.err().contains("completion_only_loss"), r.err());
    // a key of the earlier vocabulary points to its HF name
    CliRun.Result old = CliRun.run("sft", "--config", yaml("old", "  batch_size: 4\n").toString());
    assertEquals(2, old.code());
    assertTrue(old.err().contains("did you mean `per_device_train_batch_size`?"), old.err());
  }

  @Test
  void invalidTrainerValueNamesTheYamlKey() throws IOException {
    Path config = yaml("bad", "  per_device_train_batch_size: 0\n");
    CliRun.Result r = CliRun.run("sft", "--config", config.toString());
    assertEquals(2, r.code());
    assertTrue(
        r.err().contains("trainer.per_device_train_batch_size must be >= 1, got 0"), r.err());
  }

  @Test
  void missingConfigFileIsAnError() {
    CliRun.Result r = CliRun.run("sft", "--config", tmp.resolve("nope.yaml").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("does not exist"), r.err());
  }

  @Test
  void helpListsTheConfigOption() {
    CliRun.Result r = CliRun.run("sft", "--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("--config=FILE"), r.out());
  }

  @Test
  void shippedExampleConfigParses() {
    SftConfigFile c = SftConfigFile.read(Path.of("configs/sft.yaml"));
    assertEquals("tiny", c.model().preset());
    SftConfig s = c.trainer();
    assertEquals(1e-3, s.learningRate());
    assertEquals(LrScheduleType.COSINE, s.scheduler());
  }

  /** {@link #yaml} with {@code modelExtra} lines in the model section and {@code tail} appended. */
  private static Path yaml(String name, String modelExtra, String trainer, String tail)
      throws IOException {
    Path file = yaml(name, trainer);
    String text = Files.readString(file).replace("  seed: 4\n", "  seed: 4\n" + modelExtra);
    Files.writeString(file, text + tail);
    return file;
  }

  @Test
  void loraOnAnInt8BaseWithCheckpointingSavesAPeftAdapterThatLoads() throws IOException {
    Path config =
        yaml(
            "lora",
            "  base_dtype: int8\n",
            "  learning_rate: 1.0e-2\n"
                + "  max_steps: 20\n"
                + "  per_device_train_batch_size: 8\n"
                + "  max_length: 32\n"
                + "  lr_scheduler_type: constant\n"
                + "  logging_steps: 10\n"
                + "  gradient_checkpointing: true\n",
            "lora:\n  r: 8\n  lora_alpha: 16\n  lora_dropout: 0.0\n"
                + "  target_modules: [c_attn, c_fc, lm_head]\n");
    CliRun.Result r = CliRun.run("sft", "--config", config.toString());
    System.out.print(r.out());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("LoRA r 8:"), r.out());
    Path out = tmp.resolve("lora-out");
    for (String f : List.of("adapter_config.json", "adapter_model.safetensors", "tokenizer.json")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    assertFalse(Files.exists(out.resolve("model.safetensors")), "the base is not saved");
    String summary = r.out().lines().filter(l -> l.startsWith("saved ")).findFirst().orElseThrow();
    String[] losses = summary.replaceAll(".*loss ([0-9.]+) -> ([0-9.]+).*", "$1 $2").split(" ");
    assertTrue(Double.parseDouble(losses[1]) < Double.parseDouble(losses[0]) - 0.5, summary);
    // the adapter loads onto the same base and changes its output
    try (Tokenizer tok = Tokenizer.load(out);
        CausalLM base =
            SftCommand.loadModel(
                new ModelSource(null, "nano", tokenizerDir.toString(), true, 4L), tok);
        rlhf4j.policy.lora.LoraModel lora = rlhf4j.policy.lora.LoraModel.load(base, out)) {
      assertEquals(8, lora.config(lora.activeAdapter()).r());
      float[] b =
          lora.trainableParameters().entrySet().stream()
              .filter(e -> e.getKey().contains("lora_B"))
              .findFirst()
              .orElseThrow()
              .getValue()
              .toFloatArray();
      boolean moved = false;
      for (float v : b) {
        moved |= v != 0f;
      }
      assertTrue(moved, "lora_B was saved untrained");
    }
  }

  @Test
  void aQuantisedBaseWithoutLoraIsRefusedNamingTheKey() throws IOException {
    CliRun.Result r =
        CliRun.run(
            "sft",
            "--config",
            yaml("int8full", "  base_dtype: int8\n", "  max_steps: 1\n", "").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("model.base_dtype int8"), r.err());
    assertTrue(r.err().contains("add a lora section"), r.err());
    CliRun.Result bad =
        CliRun.run(
            "sft",
            "--config",
            yaml("int4", "  base_dtype: int4\n", "  max_steps: 1\n", "").toString());
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("model.base_dtype"), bad.err());
    assertTrue(bad.err().contains("fp32, fp16, int8"), bad.err());
  }
}
