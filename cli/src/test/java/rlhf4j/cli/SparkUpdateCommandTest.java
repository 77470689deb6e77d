package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.io.SafeTensors;

/**
 * {@code grpo --spark-master local[2] --spark-update}: the update's gradients computed on the
 * executors, the same adapter as the update here, and the bytes per update in the metrics.
 */
class SparkUpdateCommandTest {
  @TempDir Path tmp;

  /** GRPO without adapter dropout, 8 completions in mini-batches of 2: 4 backwards per step. */
  static String yaml(Path run) {
    return PolicyCommandsTest.grpoYaml(run, 2)
        .replace("lora_dropout: 0.1", "lora_dropout: 0.0")
        .replace("mini_batch_size: 4", "mini_batch_size: 2");
  }

  Path config(String name) throws IOException {
    Path cfg = tmp.resolve(name + ".yaml");
    Files.writeString(cfg, yaml(tmp.resolve(name)));
    return cfg;
  }

  @Test
  void theDataParallelUpdateReachesTheSameAdapterAndReportsItsBytes() throws IOException {
    CliRun.Result here =
        CliRun.run("grpo", "--config", config("here").toString(), "--spark-master", "local[2]");
    assertEquals(0, here.code(), here.err());
    CliRun.Result spark =
        CliRun.run(
            "grpo",
            "--config",
            config("spark").toString(),
            "--spark-master",
            "local[2]",
            "--spark-update");
    assertEquals(0, spark.code(), spark.err());
    for (int s = 0; s < 2; s++) {
      JsonObject step = PolicyCommandsTest.line(tmp.resolve("spark/metrics.jsonl"), s);
      assertEquals(2.0, step.get("distributed/update_tasks").getAsDouble());
      double sent = step.get("distributed/update_broadcast_bytes").getAsDouble();
      assertTrue(sent > 0 && sent < 100_000, "adapter-sized: " + sent);
      assertTrue(step.get("distributed/update_task_bytes").getAsDouble() > 0);
      assertTrue(step.get("distributed/update_returned_bytes").getAsDouble() > 0);
      JsonObject same = PolicyCommandsTest.line(tmp.resolve("here/metrics.jsonl"), s);
      assertTrue(!same.has("distributed/update_tasks"), "no Spark update without the flag");
      assertEquals(same.get("loss").getAsDouble(), step.get("loss").getAsDouble(), 1e-5);
    }
    SafeTensors.Contents a = SafeTensors.read(tmp.resolve("here/final/adapter_model.safetensors"));
    SafeTensors.Contents b = SafeTensors.read(tmp.resolve("spark/final/adapter_model.safetensors"));
    assertEquals(a.tensors().keySet(), b.tensors().keySet());
    try (NDManager m = NDManager.newBaseManager()) {
      for (String k : a.tensors().keySet()) {
        float[] x = a.get(k).toNDArray(m).toFloatArray();
        float[] y = b.get(k).toNDArray(m).toFloatArray();
        for (int i = 0; i < x.length; i++) {
          assertEquals(x[i], y[i], 1e-5, k + "[" + i + "]");
        }
      }
    }
  }

  @Test
  void theFlagIsRefusedWithoutSparkOrWithDropoutAndDocumented() throws IOException {
    CliRun.Result noMaster =
        CliRun.run("grpo", "--config", config("nomaster").toString(), "--spark-update");
    assertEquals(ExitCodes.USAGE, noMaster.code(), noMaster.out());
    assertTrue(noMaster.err().contains("give --spark-master URL too"), noMaster.err());

    Path dropout = tmp.resolve("dropout.yaml");
    Files.writeString(dropout, PolicyCommandsTest.grpoYaml(tmp.resolve("dropout"), 1));
    CliRun.Result refused =
        CliRun.run(
            "grpo", "--config", dropout.toString(), "--spark-master", "local[2]", "--spark-update");
    assertEquals(ExitCodes.USAGE, refused.code(), refused.out());
    assertTrue(refused.err().contains("lora.lora_dropout 0"), refused.err());

    String help = CliRun.run("grpo", "--help").out().replaceAll("\\s+", " ");
    assertTrue(help.contains("--spark-update"), help);
    assertTrue(help.contains("data-parallel on Spark"), help);
  }
}
