package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.ppo.dpo.DpoConfig;
import rlhf4j.ppo.grpo.GrpoConfig;

class PolicyCommandsTest {
  @TempDir Path tmp;

  static String grpoYaml(Path outputDir, int steps) {
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
          batch_size: 2
          mini_batch_size: 4
          num_generations: 4
          num_iterations: 2
          beta: 0.04
          learning_rate: 1.0e-3
          seed: 5
        generation:
          max_new_tokens: 4
        data:
          ids: [[1, 2, 3], [40, 41], [7, 8, 9, 10], [100, 200], [300, 301, 302]]
        reward:
          funcs:
            - {name: length, target: 2, unit: tokens}
            - {name: keyword, keywords: "x"}
        """
        .formatted(steps, outputDir.toString().replace("\\", "/"));
  }

  Path write(String name, String text) throws IOException {
    Path f = tmp.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  static JsonObject line(Path metrics, int i) throws IOException {
    return JsonParser.parseString(Files.readAllLines(metrics).get(i)).getAsJsonObject();
  }

  @Test
  void shippedGrpoAndRlooConfigsRun() throws IOException {
    for (String algo : List.of("grpo", "rloo")) {
      Path run = tmp.resolve(algo);
      CliRun.Result r =
          CliRun.run(
              algo,
              "--config",
              "configs/" + algo + ".yaml",
              "--steps",
              "2",
              "--output-dir",
              run.toString());
      assertEquals(0, r.code(), r.err());
      assertEquals(2, Files.readAllLines(run.resolve("metrics.jsonl")).size());
      assertTrue(line(run.resolve("metrics.jsonl"), 1).has("rewards/length/mean"));
      assertTrue(Files.isRegularFile(run.resolve("final/adapter_model.safetensors")));
    }
  }

  @Test
  void shippedDpoConfigParsesAndADpoRunTrains() throws IOException {
    PolicyRunConfig c =
        PolicyRunConfig.read(Path.of("configs/dpo.yaml"), PolicyRunConfig.Algorithm.DPO);
    assertEquals(0.1, ((DpoConfig) c.config()).beta());
    assertTrue(((DpoConfig) c.config()).precomputeRefLogProbs());
    Path run = tmp.resolve("dpo");
    String yaml =
        """
        model:
          preset: nano
          tokenizer: %s
        trainer:
          max_steps: 2
          output_dir: %s
          batch_size: 4
          mini_batch_size: 4
          learning_rate: 1.0e-3
        data:
          path: %s
        """
            .formatted(
                Path.of("../testing/src/main/resources/fixtures/hf/gpt2-tiny")
                    .toAbsolutePath()
                    .toString()
                    .replace("\\", "/"),
                run.toString().replace("\\", "/"),
                Path.of("configs/train-reward-data.jsonl")
                    .toAbsolutePath()
                    .toString()
                    .replace("\\", "/"));
    CliRun.Result r = CliRun.run("dpo", "--config", write("dpo.yaml", yaml).toString());
    assertEquals(0, r.code(), r.err());
    JsonObject first = line(run.resolve("metrics.jsonl"), 0);
    assertEquals(Math.log(2), first.get("loss").getAsDouble(), 1e-5);
    assertTrue(first.has("rewards/accuracies"));
  }

  @Test
  void grpoResumesExactly() throws IOException {
    Path whole = tmp.resolve("whole");
    assertEquals(
        0, CliRun.run("grpo", "--config", write("a.yaml", grpoYaml(whole, 3)).toString()).code());
    Path parts = tmp.resolve("parts");
    Path cfg = write("b.yaml", grpoYaml(parts, 3));
    CliRun.Result first = CliRun.run("grpo", "--config", cfg.toString(), "--steps", "2");
    assertEquals(0, first.code(), first.err());
    CliRun.Result second = CliRun.run("grpo", "--config", cfg.toString(), "--resume");
    assertEquals(0, second.code(), second.err());
    assertTrue(second.out().contains("resumed from"), second.out());
    assertArrayEquals(
        Files.readAllBytes(whole.resolve("final/adapter_model.safetensors")),
        Files.readAllBytes(parts.resolve("final/adapter_model.safetensors")));
    assertEquals(3, Files.readAllLines(parts.resolve("metrics.jsonl")).size());
  }

  @Test
  void yamlBindsOntoGrpoConfigAndNamesUnknownKeys() throws IOException {
    PolicyRunConfig c =
        PolicyRunConfig.read(
            write("c.yaml", grpoYaml(tmp.resolve("c"), 3)), PolicyRunConfig.Algorithm.GRPO);
    GrpoConfig g = (GrpoConfig) c.config();
    assertEquals(4, g.numGenerations());
    assertEquals(2, g.numIterations());
    assertEquals(2, c.batching().batchSize());
    assertEquals(2, c.rewardFuncs().size());
    CliRun.Result r =
        CliRun.run(
            "grpo",
            "--config",
            write(
                    "d.yaml",
                    grpoYaml(tmp.resolve("d"), 3).replace("num_generations", "num_generation"))
                .toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("did you mean `num_generations`"), r.err());
  }

  @Test
  void benchGrpoReportsItsPhases() throws IOException {
    Path json = tmp.resolve("bench.json");
    CliRun.Result r =
        CliRun.run(
            "bench",
            "grpo",
            "--preset",
            "nano",
            "--batch",
            "2",
            "--generations",
            "2",
            "--prompt-len",
            "4",
            "--new-tokens",
            "4",
            "--mini-batch-size",
            "2",
            "--warmup",
            "1",
            "--repeats",
            "1",
            "--threads",
            "1",
            "--json",
            json.toString());
    assertEquals(0, r.code(), r.err());
    JsonObject summary =
        JsonParser.parseString(Files.readString(json)).getAsJsonObject().getAsJsonObject("summary");
    for (String key : List.of("grpo_step_s", "grpo_update_s", "rollout_s", "peak_rss_mb")) {
      assertTrue(summary.get(key).getAsDouble() > 0, key + " in " + summary);
    }
    assertEquals(4, summary.get("completions_per_step").getAsInt());
  }
}
