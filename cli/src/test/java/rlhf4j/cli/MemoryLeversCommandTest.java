package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model.base_dtype} and {@code trainer.gradient_checkpointing} in the training commands:
 * checkpointing leaves every metric as it was (same masks, same sums up to rounding), an int8 base
 * trains and gives other numbers than the float32 one, and Spark refuses a quantised base.
 */
class MemoryLeversCommandTest {
  @TempDir Path tmp;

  private JsonObject lastMetrics(String command, String name, String yaml) throws IOException {
    Path file = tmp.resolve(name + ".yaml");
    Files.writeString(file, yaml);
    CliRun.Result r = CliRun.run(command, "--config", file.toString());
    assertEquals(0, r.code(), r.err());
    Path run = tmp.resolve(name);
    assertTrue(Files.isRegularFile(run.resolve("final/adapter_model.safetensors")), name);
    return PolicyCommandsTest.line(run.resolve("metrics.jsonl"), 1);
  }

  private static String withLevers(String yaml, boolean checkpointing, String baseDtype) {
    String out = yaml;
    if (checkpointing) {
      out = out.replace("trainer:\n", "trainer:\n  gradient_checkpointing: true\n");
    }
    if (baseDtype != null) {
      out = withModelKeys(out, "base_dtype: " + baseDtype);
    }
    return out;
  }

  /** {@code yaml} with {@code keys} ("key: value" lines) added to its model section. */
  private static String withModelKeys(String yaml, String... keys) {
    StringBuilder model = new StringBuilder("model:\n");
    for (String k : keys) {
      model.append("  ").append(k).append('\n');
    }
    return yaml.replace("model:\n", model.toString());
  }

  /** Largest |a - b| over the numeric keys both have; the count of keys compared in {@code n}. */
  private static double maxDiff(JsonObject a, JsonObject b, int[] n) {
    double max = 0;
    for (Map.Entry<String, JsonElement> e : a.entrySet()) {
      String k = e.getKey();
      if (k.startsWith("time/") || k.startsWith("memory/") || k.contains("per_s") || !b.has(k)) {
        continue;
      }
      if (e.getValue().isJsonPrimitive() && e.getValue().getAsJsonPrimitive().isNumber()) {
        max = Math.max(max, Math.abs(e.getValue().getAsDouble() - b.get(k).getAsDouble()));
        n[0]++;
      }
    }
    return max;
  }

  @Test
  void grpoWithCheckpointingMatchesAndAnInt8BaseDiffers() throws IOException {
    String plainYaml = PolicyCommandsTest.grpoYaml(tmp.resolve("plain"), 2);
    JsonObject plain = lastMetrics("grpo", "plain", plainYaml);
    JsonObject ckpt =
        lastMetrics(
            "grpo",
            "ckpt",
            withLevers(PolicyCommandsTest.grpoYaml(tmp.resolve("ckpt"), 2), true, null));
    JsonObject int8 =
        lastMetrics(
            "grpo",
            "int8",
            withLevers(PolicyCommandsTest.grpoYaml(tmp.resolve("int8"), 2), true, "int8"));
    int[] n = {0};
    assertTrue(maxDiff(plain, ckpt, n) < 1e-4, plain + "\n" + ckpt);
    assertTrue(n[0] > 5, "compared " + n[0] + " keys");
    assertTrue(maxDiff(plain, int8, new int[1]) > 1e-6, "int8 changed nothing: " + int8);
  }

  @Test
  void ppoWithCheckpointingMatchesAndAnInt8BaseDiffers() throws IOException {
    String reward = PpoCommandTest.LENGTH;
    JsonObject plain =
        lastMetrics("ppo", "pplain", PpoCommandTest.yaml(tmp.resolve("pplain"), 2, reward));
    JsonObject ckpt =
        lastMetrics(
            "ppo",
            "pckpt",
            withLevers(PpoCommandTest.yaml(tmp.resolve("pckpt"), 2, reward), true, null));
    JsonObject int8 =
        lastMetrics(
            "ppo",
            "pint8",
            withLevers(PpoCommandTest.yaml(tmp.resolve("pint8"), 2, reward), false, "int8"));
    int[] n = {0};
    assertTrue(maxDiff(plain, ckpt, n) < 1e-4, plain + "\n" + ckpt);
    assertTrue(n[0] > 5, "compared " + n[0] + " keys");
    assertTrue(maxDiff(plain, int8, new int[1]) > 1e-6, "int8 changed nothing: " + int8);
  }

  @Test
  void aQuantisedHeadTrainsTheSameWithCheckpointingAndDiffersFromAFloat32One() throws IOException {
    String reward = PpoCommandTest.LENGTH;
    String[] head = {"base_dtype: int8", "quantize_embeddings: true"};
    JsonObject int8 =
        lastMetrics(
            "ppo",
            "qint8",
            withLevers(PpoCommandTest.yaml(tmp.resolve("qint8"), 2, reward), false, "int8"));
    JsonObject plain =
        lastMetrics(
            "ppo",
            "qhead",
            withModelKeys(PpoCommandTest.yaml(tmp.resolve("qhead"), 2, reward), head));
    JsonObject ckpt =
        lastMetrics(
            "ppo",
            "qheadckpt",
            withModelKeys(
                withLevers(PpoCommandTest.yaml(tmp.resolve("qheadckpt"), 2, reward), true, null),
                head));
    int[] n = {0};
    assertTrue(maxDiff(plain, ckpt, n) < 1e-4, plain + "\n" + ckpt);
    assertTrue(n[0] > 5, "compared " + n[0] + " keys");
    assertTrue(maxDiff(int8, plain, new int[1]) > 1e-6, "the int8 head changed nothing: " + plain);
  }

  @Test
  void quantisedEmbeddingsNeedAQuantisedBase() throws IOException {
    Path file = tmp.resolve("qe.yaml");
    Files.writeString(
        file,
        withModelKeys(
            PolicyCommandsTest.grpoYaml(tmp.resolve("qe"), 1), "quantize_embeddings: true"));
    CliRun.Result r = CliRun.run("grpo", "--config", file.toString());
    assertEquals(2, r.code(), r.out());
    assertTrue(
        r.err().contains("qe.yaml")
            && r.err().contains("model.quantize_embeddings needs model.base_dtype int8 or fp16"),
        r.err());
  }

  @Test
  void sparkRefusesAQuantisedBase() throws IOException {
    Path file = tmp.resolve("spark.yaml");
    Files.writeString(
        file, withLevers(PolicyCommandsTest.grpoYaml(tmp.resolve("spark"), 1), false, "fp16"));
    CliRun.Result r = CliRun.run("grpo", "--config", file.toString(), "--spark-master", "local[1]");
    assertEquals(2, r.code(), r.out());
    assertTrue(r.err().contains("model.base_dtype fp16 with --spark-master"), r.err());
  }
}
