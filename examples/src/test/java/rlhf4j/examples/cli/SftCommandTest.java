package rlhf4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
            + "output: "
            + out
            + "\n"
            + "trainer:\n"
            + trainer;
    Path file = tmp.resolve(name + ".yaml");
    Files.writeString(file, text);
    return file;
  }

  /** Runs the CLI, returning the exit code and what it wrote to stdout and stderr. */
  private static String[] run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      code = Rlhf4jCli.run(args);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    return new String[] {
      Integer.toString(code), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)
    };
  }

  @Test
  void trainsAPresetOnJsonlAndSavesALoadableHfFolder() throws IOException {
    Path config =
        yaml(
            "ok",
            "  learning_rate: 3.0e-3\n"
                + "  max_steps: 30\n"
                + "  batch_size: 8\n"
                + "  max_length: 32\n"
                + "  scheduler: constant\n"
                + "  log_every: 10\n");
    String[] r = run("sft", "--config", config.toString());
    System.out.print(r[1]);
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].contains("step 30  loss"), r[1]);
    Path out = tmp.resolve("ok-out");
    for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    try (Tokenizer tok = Tokenizer.load(out);
        CausalLM trained = HfCheckpoint.load(out);
        CausalLM initial =
            SftCommand.loadModel(
                new SftConfigFile.Model(null, "nano", tokenizerDir.toString(), true, 4L), tok)) {
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
    String summary = r[1].lines().filter(l -> l.startsWith("saved ")).findFirst().orElseThrow();
    String[] losses = summary.replaceAll(".*loss ([0-9.]+) -> ([0-9.]+).*", "$1 $2").split(" ");
    assertTrue(Double.parseDouble(losses[1]) < Double.parseDouble(losses[0]) - 1, summary);
  }

  @Test
  void unknownKeyIsAnErrorNamingItAndListingTheValidKeys() throws IOException {
    Path config = yaml("typo", "  lerning_rate: 1.0e-3\n");
    String[] r = run("sft", "--config", config.toString());
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("unknown key 'trainer.lerning_rate'"), r[2]);
    assertTrue(r[2].contains("learning_rate"), r[2]);
    assertTrue(r[2].contains("completion_only_loss"), r[2]);
  }

  @Test
  void invalidTrainerValueNamesTheYamlKey() throws IOException {
    Path config = yaml("bad", "  batch_size: 0\n");
    String[] r = run("sft", "--config", config.toString());
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("trainer.batch_size must be >= 1, got 0"), r[2]);
  }

  @Test
  void missingConfigFileIsAnError() {
    String[] r = run("sft", "--config", tmp.resolve("nope.yaml").toString());
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("does not exist"), r[2]);
  }

  @Test
  void helpListsTheConfigOption() {
    String[] r = run("sft", "--help");
    assertEquals("0", r[0]);
    assertTrue(r[1].contains("--config=FILE"), r[1]);
  }

  @Test
  void shippedExampleConfigParses() {
    SftConfigFile c = SftConfigFile.read(Path.of("configs/sft.yaml"));
    assertEquals("tiny", c.model().preset());
    SftConfig s = c.sftConfig();
    assertEquals(1e-3, s.learningRate());
    assertEquals(SftConfig.Scheduler.COSINE, s.scheduler());
  }
}
