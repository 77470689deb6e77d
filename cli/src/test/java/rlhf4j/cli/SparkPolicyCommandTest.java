package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.spark.TaskContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.reward.RewardFunction;

/**
 * {@code grpo} and {@code rloo} with {@code --spark-master local[2]}: completions, log-probs and
 * rewards on Spark, the update here.
 */
class SparkPolicyCommandTest {
  @TempDir Path tmp;

  @Test
  void grpoOnLocalSparkWritesTrafficStatsAndTakesNoPassOfItsOwn() throws IOException {
    Path run = tmp.resolve("grpo");
    Path cfg = tmp.resolve("grpo.yaml");
    Files.writeString(cfg, PolicyCommandsTest.nanoGrpoYaml(run, 2)); // beta 0.04, 2 iterations
    CliRun.Result r = CliRun.run("grpo", "--config", cfg.toString(), "--spark-master", "local[2]");
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.out().contains("rollouts on Spark local[2]: 1 executor(s), 2 partitions"), r.out());
    assertTrue(Files.isRegularFile(run.resolve("base-model/model.safetensors")), "preset saved");
    assertEquals(2, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    JsonObject step = PolicyCommandsTest.line(run.resolve("metrics.jsonl"), 1);
    double broadcast = step.get("distributed/broadcast_bytes").getAsDouble();
    assertTrue(broadcast > 0 && broadcast < 100_000, "adapter-sized: " + broadcast);
    assertEquals(1.0, step.get("distributed/executors").getAsDouble());
    assertTrue(step.get("distributed/returned_bytes").getAsDouble() > 0);
    assertTrue(step.has("distributed/rollout_seconds_per_executor"));
    assertEquals(0.0, step.get("time/ref_and_old_forward").getAsDouble(), "old and ref on Spark");
    assertTrue(step.has("rewards/length/mean") && step.has("rewards/keyword/mean"));
    assertTrue(Files.isRegularFile(run.resolve("final/adapter_model.safetensors")));

    // a trained adapter's frozen copy as the reference cannot come from the executors
    Path again = tmp.resolve("again.yaml");
    Files.writeString(
        again,
        PolicyCommandsTest.nanoGrpoYaml(tmp.resolve("again"), 1)
            .replace(
                "  seed: 3\n",
                "  seed: 3\n  adapter: "
                    + run.resolve("final").toString().replace("\\", "/")
                    + "\n"));
    CliRun.Result refused =
        CliRun.run("grpo", "--config", again.toString(), "--spark-master", "local[2]");
    assertEquals(ExitCodes.USAGE, refused.code(), refused.out());
    assertTrue(refused.err().contains("lora.adapter"), refused.err());
  }

  /**
   * A reward that records where it is built: inside a Spark task (an executor) or not (the driver).
   * With {@code local[N]} the executor is this JVM, so the task context tells them apart.
   */
  public static final class WhereBuilt implements RewardFunction {
    static final List<Boolean> IN_TASK = Collections.synchronizedList(new ArrayList<>());

    public WhereBuilt() {
      IN_TASK.add(TaskContext.get() != null);
    }

    @Override
    public float[] score(List<Sample> batch) {
      float[] s = new float[batch.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = batch.get(i).responseLength();
      }
      return s;
    }
  }

  @Test
  void theDriverBuildsNoRewardFunctionOnlyTheExecutorsDo() throws IOException {
    for (String command : new String[] {"grpo", "rloo"}) {
      WhereBuilt.IN_TASK.clear();
      Path run = tmp.resolve(command + "-where");
      Path cfg = tmp.resolve(command + "-where.yaml");
      Files.writeString(
          cfg,
          PolicyCommandsTest.grpoYaml(run, 1)
              .replace(
                  "    - {name: keyword, keywords: \"x\"}\n",
                  "    - {name: " + WhereBuilt.class.getName() + "}\n"));
      CliRun.Result r =
          CliRun.run(command, "--config", cfg.toString(), "--spark-master", "local[2]");
      assertEquals(0, r.code(), r.err());
      assertTrue(
          PolicyCommandsTest.line(run.resolve("metrics.jsonl"), 0)
              .has("rewards/" + WhereBuilt.class.getName() + "/mean"));
      assertTrue(!WhereBuilt.IN_TASK.isEmpty(), "the executors built it");
      assertEquals(
          List.of(), WhereBuilt.IN_TASK.stream().filter(t -> !t).toList(), "built on the driver");
    }
  }

  @Test
  void anUnknownRewardNameStillStopsTheRunAsAUsageError() throws IOException {
    Path run = tmp.resolve("unknown");
    Path cfg = tmp.resolve("unknown.yaml");
    Files.writeString(
        cfg,
        PolicyCommandsTest.grpoYaml(run, 1)
            .replace("    - {name: keyword, keywords: \"x\"}\n", "    - {name: nosuch}\n"));
    CliRun.Result r = CliRun.run("grpo", "--config", cfg.toString(), "--spark-master", "local[2]");
    assertEquals(ExitCodes.USAGE, r.code(), r.err());
    assertTrue(r.err().contains("unknown reward 'nosuch'"), r.err());
  }

  @Test
  void theHelpOfBothCommandsDescribesTheOption() {
    for (String command : new String[] {"grpo", "rloo"}) {
      CliRun.Result r = CliRun.run(command, "--help");
      assertEquals(0, r.code(), r.err());
      String help = r.out().replaceAll("\\s+", " ");
      assertTrue(help.contains("--spark-master=URL"), help);
      assertTrue(help.contains("only the adapter travels per step"), help);
    }
  }

  @Test
  void rlooOnLocalSparkRuns() throws IOException {
    Path run = tmp.resolve("rloo");
    Path cfg = tmp.resolve("rloo.yaml");
    Files.writeString(cfg, PolicyCommandsTest.grpoYaml(run, 1)); // RLOO's keys too: beta 0.04
    CliRun.Result r = CliRun.run("rloo", "--config", cfg.toString(), "--spark-master", "local[2]");
    assertEquals(0, r.code(), r.err());
    JsonObject step = PolicyCommandsTest.line(run.resolve("metrics.jsonl"), 0);
    assertEquals(1.0, step.get("distributed/executors").getAsDouble());
    assertTrue(step.get("distributed/broadcast_bytes").getAsDouble() > 0);
    assertEquals(0.0, step.get("time/ref_and_old_forward").getAsDouble(), "old and ref on Spark");
    assertTrue(Double.isFinite(step.get("kl").getAsDouble()), "the KL from the executors' arrays");
  }
}
