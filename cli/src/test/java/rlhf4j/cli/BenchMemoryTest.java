package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bench JSON says how much memory ran and with which levers. */
class BenchMemoryTest {
  @TempDir Path tmp;

  private JsonObject summary(String... args) throws IOException {
    Path json = tmp.resolve(args[1] + "-" + System.nanoTime() + ".json");
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--warmup", "0", "--repeats", "1", "--threads", "1", "--json"));
    all.add(json.toString());
    CliRun.Result r = CliRun.run(all.toArray(new String[0]));
    assertEquals(0, r.code(), r.err());
    return JsonParser.parseString(Files.readString(json))
        .getAsJsonObject()
        .getAsJsonObject("summary");
  }

  /** {@code bench forward} of one 4-token sequence through tiny-qwen3, with {@code extra}. */
  private JsonObject forward(String... extra) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "bench",
                "forward",
                "--preset",
                "tiny-qwen3",
                "--batch",
                "1",
                "--seq-len",
                "4",
                "--matmul-seconds",
                "0.01"));
    args.addAll(List.of(extra));
    return summary(args.toArray(new String[0]));
  }

  private static void assertMemoryFacts(JsonObject s, String dtype, boolean checkpointing) {
    assertTrue(s.get("peak_rss_mb").getAsDouble() > 0, s.toString());
    assertTrue(s.get("base_weight_mb").getAsDouble() > 0, s.toString());
    assertEquals(dtype, s.get("base_dtype").getAsString());
    assertEquals(checkpointing, s.get("gradient_checkpointing").getAsBoolean());
  }

  @Test
  void forwardAndGenerateReportTheBaseTheyRanWith() throws IOException {
    JsonObject fp32 = forward();
    JsonObject int8 = forward("--base-dtype", "int8");
    assertMemoryFacts(fp32, "fp32", false);
    assertMemoryFacts(int8, "int8", false);
    assertTrue(
        int8.get("base_weight_mb").getAsDouble() < fp32.get("base_weight_mb").getAsDouble(),
        "int8 stores less: " + int8 + " vs " + fp32);
    assertMemoryFacts(
        summary(
            "bench",
            "generate",
            "--preset",
            "tiny-llama",
            "--batch",
            "1",
            "--prompt-len",
            "4",
            "--new-tokens",
            "2",
            "--no-kv-off",
            "--base-dtype",
            "int8"),
        "int8",
        false);
  }

  @Test
  void ppoAndGrpoReportTheUpdatesPeakGrowthOnAnyFamily() throws IOException {
    JsonObject ppo =
        summary(
            "bench",
            "ppo",
            "--preset",
            "tiny-qwen3",
            "--base-dtype",
            "int8",
            "--gradient-checkpointing",
            "--batch",
            "2",
            "--prompt-len",
            "4",
            "--new-tokens",
            "4",
            "--mini-batch-size",
            "1",
            "--matmul-seconds",
            "0.01");
    assertMemoryFacts(ppo, "int8", true);
    assertTrue(ppo.has("update_peak_extra_mb"), ppo.toString());
    JsonObject grpo =
        summary(
            "bench",
            "grpo",
            "--preset",
            "tiny-llama",
            "--base-dtype",
            "int8",
            "--batch",
            "1",
            "--generations",
            "2",
            "--prompt-len",
            "4",
            "--new-tokens",
            "4",
            "--mini-batch-size",
            "2");
    assertMemoryFacts(grpo, "int8", false);
    assertTrue(grpo.has("update_peak_extra_mb"), grpo.toString());
  }

  @Test
  void quantisedEmbeddingsStoreLessAndAreReported() throws IOException {
    JsonObject int8 = forward("--base-dtype", "int8");
    JsonObject head = forward("--base-dtype", "int8", "--quantize-embeddings");
    assertMemoryFacts(head, "int8", false);
    assertTrue(!int8.get("quantize_embeddings").getAsBoolean(), int8.toString());
    assertTrue(head.get("quantize_embeddings").getAsBoolean(), head.toString());
    assertTrue(
        head.get("base_weight_mb").getAsDouble() < int8.get("base_weight_mb").getAsDouble(),
        "the int8 embedding stores less: " + head + " vs " + int8);
    CliRun.Result r = CliRun.run("bench", "forward", "--preset", "nano", "--quantize-embeddings");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--quantize-embeddings needs --base-dtype int8 or fp16"), r.err());
  }

  @Test
  void anUnknownBaseDtypeNamesTheOptionAndTheChoices() {
    CliRun.Result r = CliRun.run("bench", "forward", "--preset", "nano", "--base-dtype", "int4");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--base-dtype") && r.err().contains("fp32, fp16, int8"), r.err());
  }
}
