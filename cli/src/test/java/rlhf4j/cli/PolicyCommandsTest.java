package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.ppo.dpo.DpoConfig;
import rlhf4j.ppo.grpo.GrpoConfig;
import rlhf4j.testing.Fixtures;

class PolicyCommandsTest {
  @TempDir Path tmp;

  /**
   * GRPO on gpt2-tiny with its tokenizer: the length reward counts the decoded characters, which
   * vary between completions, so advantages and gradients are not zero and the adapter moves.
   */
  static String grpoYaml(Path outputDir, int steps) {
    return """
        model:
          dir: %s
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
          ids: [[1, 2, 3], [40, 41], [7, 8, 9, 10], [100, 200], [250, 251, 252]]
        reward:
          funcs:
            - {name: length, target: 2, unit: chars}
            - {name: keyword, keywords: "x"}
        """
        .formatted(
            TrlGoldens.slash(Fixtures.path("hf/gpt2-tiny")),
            steps,
            outputDir.toString().replace("\\", "/"));
  }

  /**
   * {@link #grpoYaml} on the nano preset: no tokenizer, so both rewards are constant and no update
   * moves the adapter; for tests of what a preset run writes.
   */
  static String nanoGrpoYaml(Path outputDir, int steps) {
    return grpoYaml(outputDir, steps).replaceFirst("  dir: .*\n", "  preset: nano\n");
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

    // TRL 1.13's further loss types train from YAML; at step 1 policy = reference, so each loss
    // is its value at zero log-ratios: log 2 for the logistic ones, (1/(2 beta))^2 twice for
    // sppo_hard, 1 for apo_zero and apo_down
    double[] atZero = {
      Math.log(2) + Math.log(2), // nca_pair: log 2 + log 2 / 2 + log 2 / 2
      2 * Math.log(2), // bco_pair
      2 * 25.0, // sppo_hard at beta 0.1
      1.0, // apo_zero
      1.0, // apo_down
      Math.log(2) * 0.5 + 0.5, // discopop: blend 1/2 of log 2 and exp(0)
      Math.log(2), // sigmoid_norm
      Math.log(2), // aot: sorted policy minus sorted reference differences, all 0
      Math.log(2), // aot_unpaired
    };
    String[] types = {
      "nca_pair",
      "bco_pair",
      "sppo_hard",
      "apo_zero",
      "apo_down",
      "discopop",
      "sigmoid_norm",
      "aot",
      "aot_unpaired"
    };
    for (int i = 0; i < types.length; i++) {
      JsonObject step = firstDpoStep(yaml, run, types[i], "  loss_type: " + types[i] + "\n");
      assertEquals(atZero[i], step.get("loss").getAsDouble(), 1e-5, types[i]);
    }
    // several types at once, with TRL's loss_weights: log 2 plus a fifth of the chosen tokens' NLL
    double mixedLoss =
        firstDpoStep(
                yaml, run, "mixed", "  loss_type: [sigmoid, sft]\n  loss_weights: [1.0, 0.2]\n")
            .get("loss")
            .getAsDouble();
    assertTrue(mixedLoss > Math.log(2) + 0.2, "log 2 + 0.2 * NLL: " + mixedLoss);
    // an f-divergence other than reverse KL: at zero log-ratios every score is 0, the loss log 2
    JsonObject js = firstDpoStep(yaml, run, "js", "  f_divergence_type: js_divergence\n");
    assertEquals(Math.log(2), js.get("loss").getAsDouble(), 1e-5);
    String ncaJs =
        yaml.replace(
            "  learning_rate: 1.0e-3\n",
            "  learning_rate: 1.0e-3\n  loss_type: nca_pair\n  f_divergence_type: forward_kl\n");
    CliRun.Result ncaRefused = CliRun.run("dpo", "--config", write("nca.yaml", ncaJs).toString());
    assertEquals(ExitCodes.USAGE, ncaRefused.code(), ncaRefused.out());
    assertTrue(ncaRefused.err().contains("f_divergence_type"), ncaRefused.err());
    String exo =
        yaml.replace(
            "  learning_rate: 1.0e-3\n", "  learning_rate: 1.0e-3\n  loss_type: exo_pair\n");
    CliRun.Result refused = CliRun.run("dpo", "--config", write("exo.yaml", exo).toString());
    assertEquals(ExitCodes.USAGE, refused.code(), refused.out());
    assertTrue(refused.err().contains("label_smoothing"), refused.err());
  }

  /**
   * Runs {@code rlhf4j dpo} on {@code yaml} (whose output folder is {@code run}) in the folder
   * {@code name} with {@code extra} trainer keys; returns step 1's metrics.
   */
  private JsonObject firstDpoStep(String yaml, Path run, String name, String extra)
      throws IOException {
    Path dir = tmp.resolve(name);
    String y =
        yaml.replace(run.toString().replace("\\", "/"), dir.toString().replace("\\", "/"))
            .replace("  learning_rate: 1.0e-3\n", "  learning_rate: 1.0e-3\n" + extra);
    CliRun.Result r = CliRun.run("dpo", "--config", write(name + ".yaml", y).toString());
    assertEquals(0, r.code(), name + ": " + r.err());
    return line(dir.resolve("metrics.jsonl"), 0);
  }

  @Test
  void grpoResumesExactly() throws IOException {
    Path whole = tmp.resolve("whole");
    assertEquals(
        0, CliRun.run("grpo", "--config", write("a.yaml", grpoYaml(whole, 3)).toString()).code());
    // the same run interrupted after step 2: its folder as it stood then
    Path parts = tmp.resolve("parts");
    copyTree(whole, parts);
    deleteTree(parts.resolve("checkpoint-3"));
    deleteTree(parts.resolve("final"));
    CliRun.Result second =
        CliRun.run("grpo", "--config", write("b.yaml", grpoYaml(parts, 3)).toString(), "--resume");
    assertEquals(0, second.code(), second.err());
    assertTrue(second.out().contains("resumed from"), second.out());
    assertArrayEquals(
        Files.readAllBytes(whole.resolve("final/adapter_model.safetensors")),
        Files.readAllBytes(parts.resolve("final/adapter_model.safetensors")));
    for (String key : List.of("loss", "reward", "grad_norm", "learning_rate")) {
      assertEquals(
          line(whole.resolve("metrics.jsonl"), 2).get(key).getAsDouble(),
          line(parts.resolve("metrics.jsonl"), 2).get(key).getAsDouble(),
          "step 3's " + key);
    }
    // the adapter moved: equal files are not two copies of the initial adapter
    assertTrue(line(whole.resolve("metrics.jsonl"), 0).get("grad_norm").getAsDouble() > 0);
    assertFalse(
        Arrays.equals(
            Files.readAllBytes(whole.resolve("checkpoint-1/adapter/adapter_model.safetensors")),
            Files.readAllBytes(whole.resolve("final/adapter_model.safetensors"))));
  }

  @Test
  void theLearningRateFollowsTrlsScheduleOverTheRunsOptimizerSteps() throws IOException {
    // linear decay (TRL's default) over 3 steps x num_iterations 2 = 6 optimizer steps; each
    // step logs the rate its last optimizer step used, lr(k) = 1e-3 * (6 - k) / 6 at k = 1, 3, 5
    Path linear = tmp.resolve("linear");
    CliRun.Result r =
        CliRun.run("grpo", "--config", write("l.yaml", grpoYaml(linear, 3)).toString());
    assertEquals(0, r.code(), r.err());
    for (int s = 0; s < 3; s++) {
      double want = 1e-3 * (6 - (2 * s + 1)) / 6.0;
      assertEquals(
          want, line(linear.resolve("metrics.jsonl"), s).get("learning_rate").getAsDouble(), 1e-15);
    }
    // two warm-up steps of the six (warmup_steps as a count), then cosine down to 0
    Path cosine = tmp.resolve("cosine");
    String yaml =
        grpoYaml(cosine, 3)
            .replace("  seed: 5\n", "  seed: 5\n  lr_scheduler_type: cosine\n  warmup_steps: 2\n");
    assertEquals(0, CliRun.run("grpo", "--config", write("c.yaml", yaml).toString()).code());
    // transformers: k / W during warm-up, then 0.5 * (1 + cos(pi * (k - W) / (N - W)))
    assertEquals(
        1e-3 * 1 / 2.0,
        line(cosine.resolve("metrics.jsonl"), 0).get("learning_rate").getAsDouble(),
        1e-15);
    assertEquals(
        1e-3 * 0.5 * (1 + Math.cos(Math.PI * (3 - 2) / 4.0)),
        line(cosine.resolve("metrics.jsonl"), 1).get("learning_rate").getAsDouble(),
        1e-15);
    assertEquals(
        1e-3 * 0.5 * (1 + Math.cos(Math.PI * (5 - 2) / 4.0)),
        line(cosine.resolve("metrics.jsonl"), 2).get("learning_rate").getAsDouble(),
        1e-15);
  }

  @Test
  void trlsNewerGrpoLossTypesTrainFromYaml() throws IOException {
    // CISPO with ScaleRL's cap, SAPO with its gate temperatures, LUSPO at sequence level, GDPO's
    // aggregation of the two rewards: each moves the adapter and logs TRL's metrics of its type
    String[][] cases = {
      {"loss_type: cispo\n  epsilon_high: 5.0", "cispo_clip_ratio", "clip_ratio/low_mean"},
      {
        "loss_type: sapo\n  sapo_temperature_pos: 1.0\n  sapo_temperature_neg: 1.05",
        "loss",
        "clip_ratio/low_mean"
      },
      {"loss_type: luspo\n  importance_sampling_level: sequence", "clip_ratio/low_mean", "x"},
      {"loss_type: grpo\n  multi_objective_aggregation: normalize_then_sum", "reward", "x"},
      {"loss_type: dapo\n  top_entropy_quantile: 0.2", "entropy", "x"},
      {"loss_type: dapo\n  off_policy_mask_threshold: 0.5", "loss", "x"},
    };
    for (String[] c : cases) {
      String type = c[0].replace('\n', ' ').replaceAll("[^a-z_ ]", "").replace(' ', '-');
      Path run = tmp.resolve(type);
      String yaml = grpoYaml(run, 2).replace("  seed: 5\n", "  seed: 5\n  " + c[0] + "\n");
      CliRun.Result r = CliRun.run("grpo", "--config", write(type + ".yaml", yaml).toString());
      assertEquals(0, r.code(), type + ": " + r.err());
      JsonObject step = line(run.resolve("metrics.jsonl"), 1);
      assertTrue(step.has(c[1]), type + " logs " + c[1] + ": " + step);
      assertFalse(step.has(c[2]), type + " does not log " + c[2] + ": " + step);
      assertTrue(step.get("grad_norm").getAsDouble() > 0, type + ": " + step);
    }
  }

  @Test
  void badTrainerKeysNameTheKeyAndTheFix() throws IOException {
    String base = grpoYaml(tmp.resolve("bad"), 3);
    String[][] cases = {
      {"lr_scheduler_type: cosine_with_restarts", "must be one of constant, linear, cosine"},
      {"warmup_steps: 2.5", "warmup_steps"},
      {"warmup_steps: 0.1\n  warmup_ratio: 0.1", "keep one"},
      {"warmup_ratio: 1.5", "warmup_ratio"},
      {"off_policy_mask_threshold: -1", "off_policy_mask_threshold"},
      {"top_entropy_quantile: 1.5", "top_entropy_quantile"},
      {
        "multi_objective_aggregation: normalize_then_sum\n  scale_rewards: batch",
        "leave scale_rewards at GROUP"
      },
      {"warmup_steps: 7", "trainer.warmup_steps"}, // longer than the 6 optimizer steps
    };
    for (String[] c : cases) {
      Path f = write("bad.yaml", base.replace("  seed: 5\n", "  seed: 5\n  " + c[0] + "\n"));
      CliRun.Result r = CliRun.run("grpo", "--config", f.toString());
      assertEquals(ExitCodes.USAGE, r.code(), c[0] + ": " + r.err());
      assertTrue(r.err().contains(c[1]), c[0] + ": " + r.err());
    }
    PolicyRunConfig ratio =
        PolicyRunConfig.read(
            write("r.yaml", base.replace("  seed: 5\n", "  seed: 5\n  warmup_steps: 0.34\n")),
            PolicyRunConfig.Algorithm.GRPO);
    // transformers 5: a fraction below 1 is a ratio, ceil(0.34 * 6) = 3 warm-up steps
    assertEquals(0.0, ratio.lrSchedule(3).lr(0));
    assertEquals(1e-3 * 2 / 3.0, ratio.lrSchedule(3).lr(2), 1e-18);
    assertEquals(1e-3, ratio.lrSchedule(3).lr(3), 1e-18);
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (java.util.stream.Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  static void deleteTree(Path dir) throws IOException {
    try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
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
