package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.lora.ModelCard;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.reward.RewardFunction;

class PpoCommandTest {
  @TempDir Path tmp;

  /** A small run on the nano preset: 4 prompts per step, 4-token responses, dropout on. */
  static String yaml(Path outputDir, int steps, String reward) {
    return """
        model:
          preset: nano
        lora:
          r: 4
          lora_alpha: 8
          lora_dropout: 0.1
          seed: 3
        trainer:
          max_steps: %d
          output_dir: %s
          save_steps: 1
          save_total_limit: 1
          learning_rate: 1.0e-3
          batch_size: 4
          mini_batch_size: 2
          ppo_epochs: 2
          use_score_scaling: true
          seed: 5
        generation:
          max_new_tokens: 4
        data:
          ids: [[1, 2, 3], [40, 41], [7, 8, 9, 10], [100, 200], [300, 301, 302]]
        reward:
          %s
        """
        .formatted(steps, outputDir.toString().replace("\\", "/"), reward);
  }

  static final String LENGTH = "{name: length, options: {target: 2, unit: tokens}}";

  Path write(String name, String text) throws IOException {
    Path f = tmp.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  @Test
  void aRewardModelFolderIsAReward() throws IOException {
    Path rm = tmp.resolve("rm");
    try (rlhf4j.reward.model.RewardModel model =
        rlhf4j.reward.model.RewardModel.random(Presets.config("nano"), 9)) {
      model.save(rm); // no tokenizer: it scores the policy's ids (same vocabulary)
    }
    Path run = tmp.resolve("run");
    String reward =
        "{name: reward-model, options: {path: %s}}".formatted(rm.toString().replace("\\", "/"));
    CliRun.Result r =
        CliRun.run("ppo", "--config", write("rm.yaml", yaml(run, 1, reward)).toString());
    assertEquals(0, r.code(), r.err());
    var j = JsonParser.parseString(Files.readAllLines(run.resolve("metrics.jsonl")).get(0));
    assertTrue(Double.isFinite(j.getAsJsonObject().get("objective/scores").getAsDouble()));
  }

  @Test
  void twoStepsOnAPresetWriteMetricsCheckpointsAndAPeftAdapter() throws IOException {
    Path run = tmp.resolve("run");
    CliRun.Result r =
        CliRun.run("ppo", "--config", write("a.yaml", yaml(run, 2, LENGTH)).toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("step 2/2"), r.out());

    List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertEquals(2, metrics.size());
    for (int i = 0; i < 2; i++) {
      var j = JsonParser.parseString(metrics.get(i)).getAsJsonObject();
      assertEquals(i + 1, j.get("step").getAsInt());
      assertTrue(j.has("objective/kl") && j.has("ppo/loss/total"), metrics.get(i));
      assertTrue(j.get("time/wall_s").getAsDouble() >= 0, metrics.get(i));
    }
    List<String> names = entries(run);
    assertEquals(
        List.of(
            RunLock.FILE,
            "checkpoint-2",
            "final",
            "metrics.jsonl",
            "run_config.yaml",
            RunFingerprint.FILE),
        names.stream().filter(n -> !n.startsWith("events.out.tfevents.")).toList());
    // and the TensorBoard event file beside metrics.jsonl
    assertEquals(
        1, names.stream().filter(n -> n.matches("events\\.out\\.tfevents\\..+\\.rlhf4j")).count());

    Path fin = run.resolve("final");
    assertEquals(
        List.of(
            ModelCard.FILE,
            "adapter_config.json",
            "adapter_model.safetensors",
            "value_head.safetensors"),
        entries(fin));
    // the adapter names its base (PEFT's base_model_name_or_path) and carries a model card
    assertEquals(
        "preset nano seed 0",
        JsonParser.parseString(Files.readString(fin.resolve("adapter_config.json")))
            .getAsJsonObject()
            .get("base_model_name_or_path")
            .getAsString());
    assertTrue(Files.readString(fin.resolve(ModelCard.FILE)).contains("base_model: preset nano"));
    assertEquals(
        List.of(ValueHead.BIAS, ValueHead.WEIGHT),
        List.copyOf(SafeTensors.read(fin.resolve("value_head.safetensors")).tensors().keySet()));
    assertArrayEquals(
        Files.readAllBytes(fin.resolve("adapter_model.safetensors")),
        Files.readAllBytes(run.resolve("checkpoint-2/adapter/adapter_model.safetensors")));
    try (CausalLM model = Presets.create("nano", 0);
        LoraModel loaded = LoraModel.load(model, fin)) {
      assertEquals(4, loaded.config(LoraModel.DEFAULT_ADAPTER).r());
    }
  }

  @Test
  void resumeContinuesExactlyLikeAnUninterruptedRun() throws IOException {
    Path straight = tmp.resolve("straight");
    assertEquals(
        0,
        CliRun.run("ppo", "--config", write("s.yaml", yaml(straight, 3, LENGTH)).toString())
            .code());

    Path split = tmp.resolve("split");
    Path cfg = write("p.yaml", yaml(split, 3, LENGTH));
    assertEquals(0, CliRun.run("ppo", "--config", cfg.toString(), "--steps", "2").code());
    // an interrupted third step left a metrics line behind: resume must drop it
    Files.writeString(
        split.resolve("metrics.jsonl"),
        "{\"step\":3,\"objective/kl\":9}\n{\"ste",
        java.nio.file.StandardOpenOption.APPEND);

    CliRun.Result again = CliRun.run("ppo", "--config", cfg.toString());
    assertEquals(2, again.code(), "a second run into the same folder needs --resume");
    assertTrue(again.err().contains("--resume"), again.err());

    CliRun.Result resumed = CliRun.run("ppo", "--config", cfg.toString(), "--resume");
    assertEquals(0, resumed.code(), resumed.err());
    assertTrue(resumed.out().contains("resumed from"), resumed.out());
    assertArrayEquals(
        Files.readAllBytes(straight.resolve("final/adapter_model.safetensors")),
        Files.readAllBytes(split.resolve("final/adapter_model.safetensors")));
    assertArrayEquals(
        Files.readAllBytes(straight.resolve("final/value_head.safetensors")),
        Files.readAllBytes(split.resolve("final/value_head.safetensors")));
    List<String> a = Files.readAllLines(straight.resolve("metrics.jsonl"));
    List<String> b = Files.readAllLines(split.resolve("metrics.jsonl"));
    assertEquals(3, b.size());
    for (int i = 0; i < 3; i++) {
      var ja = JsonParser.parseString(a.get(i)).getAsJsonObject();
      var jb = JsonParser.parseString(b.get(i)).getAsJsonObject();
      for (String k : List.of("step", "objective/kl", "objective/scores", "ppo/loss/total")) {
        assertEquals(ja.get(k), jb.get(k), "step " + (i + 1) + " " + k);
      }
    }
    assertEquals(List.of("checkpoint-3"), checkpoints(split));
  }

  @Test
  void resumeWithoutACheckpointIsAnError() throws IOException {
    Path run = tmp.resolve("run");
    CliRun.Result r =
        CliRun.run("ppo", "--config", write("a.yaml", yaml(run, 2, LENGTH)).toString(), "--resume");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("holds no checkpoint"), r.err());
  }

  @Test
  void unknownKeyIsAnErrorNamingItAndTheValidKeys() throws IOException {
    Path run = tmp.resolve("run");
    String bad = yaml(run, 2, LENGTH).replace("learning_rate:", "learnin_rate:");
    CliRun.Result r = CliRun.run("ppo", "--config", write("bad.yaml", bad).toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown key 'trainer.learnin_rate'"), r.err());
    assertTrue(r.err().contains("did you mean `learning_rate`?"), r.err());
    assertTrue(
        r.err().contains("valid keys in trainer: max_steps, output_dir, save_steps"), r.err());
    assertTrue(r.err().contains("learning_rate, init_kl_coef, adap_kl_ctrl"), r.err());
    assertFalse(Files.exists(run), "nothing is written for a bad config");

    CliRun.Result top = CliRun.run("ppo", "--config", write("top.yaml", "trainr: {}\n").toString());
    assertEquals(2, top.code());
    assertTrue(top.err().contains("unknown section 'trainr'; did you mean `trainer`?"), top.err());
    assertTrue(
        top.err().contains("valid sections: model, lora, trainer, generation, data, reward"),
        top.err());
  }

  @Test
  void badValuesNameTheirKey() throws IOException {
    Path run = tmp.resolve("run");
    CliRun.Result type =
        CliRun.run(
            "ppo",
            "--config",
            write("t.yaml", yaml(run, 2, LENGTH).replace("batch_size: 4", "batch_size: four"))
                .toString());
    assertEquals(2, type.code());
    assertTrue(type.err().contains("trainer.batch_size must be an integer"), type.err());

    CliRun.Result range =
        CliRun.run(
            "ppo",
            "--config",
            write(
                    "r.yaml",
                    yaml(run, 2, LENGTH).replace("mini_batch_size: 2", "mini_batch_size: 3"))
                .toString());
    assertEquals(2, range.code());
    assertTrue(
        range.err().contains("trainer.batch_size must be a multiple of mini_batch_size"),
        range.err());
  }

  @Test
  void helpDocumentsEveryYamlKey() {
    CliRun.Result r = CliRun.run("ppo", "--help");
    assertEquals(0, r.code());
    for (String option : List.of("--config", "--resume", "--steps", "--output-dir")) {
      assertTrue(r.out().contains(option), option);
    }
    for (Map.Entry<String, List<String>> e : PpoRunConfig.sections().entrySet()) {
      assertTrue(r.out().contains(e.getKey() + ":"), e.getKey());
      for (String key : e.getValue()) {
        assertTrue(r.out().contains(key), e.getKey() + "." + key + " missing from --help");
      }
    }
    assertTrue(r.out().contains("use_score_scaling") && r.out().contains("save_steps"));
  }

  /** Returns NaN for one sample on its second call. */
  public static final class NanOnSecondCall implements RewardFunction {
    static final AtomicInteger CALLS = new AtomicInteger();

    @Override
    public float[] score(List<Sample> batch) {
      float[] s = new float[batch.size()];
      if (CALLS.incrementAndGet() == 2) {
        s[0] = Float.NaN;
      }
      return s;
    }
  }

  @Test
  void aNanRewardStopsWithExitCode3AndKeepsTheCheckpoint() throws IOException {
    NanOnSecondCall.CALLS.set(0);
    Path run = tmp.resolve("run");
    String reward = "{name: " + NanOnSecondCall.class.getName() + "}";
    CliRun.Result r =
        CliRun.run("ppo", "--config", write("n.yaml", yaml(run, 3, reward)).toString());
    assertEquals(PpoCommand.DIVERGED, r.code(), r.err());
    assertTrue(r.err().contains("stopped at step 2"), r.err());
    assertTrue(r.err().contains("NaN"), r.err());
    assertTrue(r.err().contains("checkpoint-1 is intact"), r.err());
    assertEquals(List.of("checkpoint-1"), checkpoints(run));
    assertFalse(Files.exists(run.resolve("final")));
  }

  /**
   * A shipped example config with its repository-relative paths ({@code testing/...}, {@code
   * cli/configs/...}) made absolute: the configs are run from the repository root, the tests from
   * the module folder.
   */
  static Path fromRepositoryRoot(Path example, Path tmp) throws IOException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    String text =
        Files.readString(example)
            .replace(" testing/", " " + root.resolve("testing") + "/")
            .replace(" cli/configs/", " " + root.resolve("cli/configs") + "/")
            .replace(" runs/", " " + tmp.resolve("runs") + "/");
    return Files.writeString(tmp.resolve(example.getFileName()), text);
  }

  @Test
  void shippedExampleConfigRunsAndVisiblyLearns() throws IOException {
    Path example = Path.of("configs/ppo.yaml");
    assertTrue(Files.isRegularFile(example), "run from the cli module");
    Path run = tmp.resolve("example");
    CliRun.Result r =
        CliRun.run(
            "ppo",
            "--config",
            fromRepositoryRoot(example, tmp).toString(),
            "--output-dir",
            run.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertEquals(30, lines.size());
    double[] scores =
        lines.stream()
            .mapToDouble(
                l ->
                    JsonParser.parseString(l)
                        .getAsJsonObject()
                        .get("objective/scores")
                        .getAsDouble())
            .toArray();
    double first = java.util.Arrays.stream(scores, 0, 5).average().orElseThrow();
    double last = java.util.Arrays.stream(scores, 20, 30).average().orElseThrow();
    assertTrue(last > first + 0.3, "mean reward " + first + " -> " + last + ": " + r.out());
    assertTrue(Files.isRegularFile(run.resolve("final/adapter_model.safetensors")));
  }

  @Test
  void promptsFileTakesIdArraysAndObjectsPerJsonLine() throws IOException {
    Path f = write("p.jsonl", "[1, 2, 3]\n\n{\"ids\": [4, 5]}\n");
    List<long[]> prompts =
        PpoCommand.prompts(new PpoRunConfig.Prompts(null, null, f.toString()), null, 512);
    assertEquals(2, prompts.size());
    assertArrayEquals(new long[] {1, 2, 3}, prompts.get(0));
    assertArrayEquals(new long[] {4, 5}, prompts.get(1));

    Path text = write("t.jsonl", "\"a text prompt\"\n");
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () ->
                PpoCommand.prompts(
                    new PpoRunConfig.Prompts(null, null, text.toString()), null, 512));
    assertTrue(
        e.getMessage().contains("t.jsonl line 1: text prompts need a tokenizer"), e.getMessage());

    IllegalArgumentException range =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () ->
                PpoCommand.prompts(
                    new PpoRunConfig.Prompts(List.of(List.of(1L, 600L)), null, null), null, 512));
    assertTrue(
        range.getMessage().contains("token id 600 outside the vocabulary"), range.getMessage());
  }

  static List<String> entries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static List<String> checkpoints(Path dir) throws IOException {
    return entries(dir).stream().filter(n -> n.startsWith("checkpoint-")).toList();
  }
}
