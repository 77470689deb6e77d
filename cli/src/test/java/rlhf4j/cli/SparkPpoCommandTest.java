package rlhf4j.cli;

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
import rlhf4j.policy.family.Presets;

/** {@code ppo --spark-master local[2]}: the rollouts run on Spark, the update here. */
class SparkPpoCommandTest {
  @TempDir Path tmp;

  @Test
  void ppoOnLocalSparkWritesTrafficStatsAndThePresetBase() throws IOException {
    Path run = tmp.resolve("run");
    Path cfg = tmp.resolve("a.yaml");
    Files.writeString(cfg, PpoCommandTest.yaml(run, 2, PpoCommandTest.LENGTH));
    CliRun.Result r = CliRun.run("ppo", "--config", cfg.toString(), "--spark-master", "local[2]");
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.out().contains("rollouts on Spark local[2]: 1 executor(s), 2 partitions"), r.out());
    assertTrue(Files.isRegularFile(run.resolve("base-model/model.safetensors")), "preset saved");
    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertEquals(2, lines.size());
    JsonObject step = JsonParser.parseString(lines.get(1)).getAsJsonObject();
    double broadcast = step.get("distributed/broadcast_bytes").getAsDouble();
    assertTrue(broadcast > 0 && broadcast < 100_000, "adapter-sized: " + broadcast);
    assertEquals(1.0, step.get("distributed/executors").getAsDouble());
    assertTrue(Files.isRegularFile(run.resolve("final/adapter_model.safetensors")));
  }

  @Test
  void theDriverBuildsNoRewardOnlyTheExecutorsDo() throws IOException {
    SparkPolicyCommandTest.WhereBuilt.IN_TASK.clear();
    Path run = tmp.resolve("where");
    Path cfg = tmp.resolve("where.yaml");
    Files.writeString(
        cfg,
        PpoCommandTest.yaml(
            run, 1, "{name: " + SparkPolicyCommandTest.WhereBuilt.class.getName() + "}"));
    CliRun.Result r = CliRun.run("ppo", "--config", cfg.toString(), "--spark-master", "local[2]");
    assertEquals(0, r.code(), r.err());
    List<Boolean> built = List.copyOf(SparkPolicyCommandTest.WhereBuilt.IN_TASK);
    assertTrue(!built.isEmpty(), "the executors built it");
    assertEquals(List.of(), built.stream().filter(t -> !t).toList(), "built on the driver");
  }

  @Test
  void aRewardModelIsLoadedOnTheExecutors() throws IOException {
    Path rm = tmp.resolve("rm");
    try (rlhf4j.reward.model.RewardModel model =
        rlhf4j.reward.model.RewardModel.random(Presets.config("nano"), 9)) {
      model.save(rm);
    }
    Path run = tmp.resolve("run");
    String reward =
        "{name: reward-model, options: {path: %s}}".formatted(rm.toString().replace("\\", "/"));
    Path cfg = tmp.resolve("rm.yaml");
    Files.writeString(cfg, PpoCommandTest.yaml(run, 1, reward));
    CliRun.Result r = CliRun.run("ppo", "--config", cfg.toString(), "--spark-master", "local[1]");
    assertEquals(0, r.code(), r.err());
    JsonObject step =
        JsonParser.parseString(Files.readAllLines(run.resolve("metrics.jsonl")).get(0))
            .getAsJsonObject();
    assertTrue(Double.isFinite(step.get("objective/scores").getAsDouble()));
  }
}
