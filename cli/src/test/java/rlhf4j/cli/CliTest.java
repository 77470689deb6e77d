package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.testing.Fixtures;

/** The CLI commands end to end on tiny fixtures made by transformers/peft. */
class CliTest {
  @TempDir Path tmp;

  static Path fixture(String name) throws URISyntaxException {
    return Fixtures.path("hf/" + name);
  }

  static double maxDiff(Path actualJson, Path goldenJson) throws IOException {
    JsonArray a =
        JsonParser.parseString(Files.readString(actualJson))
            .getAsJsonObject()
            .getAsJsonArray("logits");
    JsonArray g =
        JsonParser.parseString(Files.readString(goldenJson))
            .getAsJsonObject()
            .getAsJsonArray("logits");
    double max = 0;
    for (int b = 0; b < g.size(); b++) {
      for (int t = 0; t < g.get(b).getAsJsonArray().size(); t++) {
        JsonArray ga = g.get(b).getAsJsonArray().get(t).getAsJsonArray();
        JsonArray aa = a.get(b).getAsJsonArray().get(t).getAsJsonArray();
        for (int v = 0; v < ga.size(); v++) {
          max = Math.max(max, Math.abs(ga.get(v).getAsDouble() - aa.get(v).getAsDouble()));
        }
      }
    }
    return max;
  }

  static final String IDS = "5,17,42,99,250,3,7,128;1,2,3,4,5,6,7,8";

  @Test
  void logitsWithAdapterDisabledAdapterAndMergeMatchPeft() throws Exception {
    Path model = fixture("gpt2-tiny");
    Path adapter = fixture("gpt2-tiny-lora");
    Path out = tmp.resolve("l.json");
    assertEquals(
        0,
        Rlhf4jCli.run(
            "logits",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--ids",
            IDS,
            "--out",
            out.toString()));
    assertTrue(maxDiff(out, fixture("logits/gpt2-tiny.lora.json")) < 1e-4);
    assertEquals(
        0,
        Rlhf4jCli.run(
            "logits",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--disable-adapter",
            "--ids",
            IDS,
            "--out",
            out.toString()));
    assertTrue(maxDiff(out, fixture("logits/gpt2-tiny.base.json")) < 1e-4);
    assertEquals(
        0,
        Rlhf4jCli.run(
            "logits",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--merge",
            "--ids",
            IDS,
            "--out",
            out.toString()));
    assertTrue(maxDiff(out, fixture("logits/gpt2-tiny.merged.json")) < 1e-4);
  }

  @Test
  void mergeWritesAStandaloneCheckpointWithPeftMergedLogits() throws Exception {
    Path merged = tmp.resolve("merged");
    assertEquals(
        0,
        Rlhf4jCli.run(
            "merge",
            "--model",
            fixture("gpt2-tiny").toString(),
            "--adapter",
            fixture("gpt2-tiny-lora").toString(),
            "--out",
            merged.toString()));
    assertTrue(Files.isRegularFile(merged.resolve("tokenizer.json")));
    Path out = tmp.resolve("m.json");
    assertEquals(
        0,
        Rlhf4jCli.run(
            "logits", "--model", merged.toString(), "--ids", IDS, "--out", out.toString()));
    assertTrue(maxDiff(out, fixture("logits/gpt2-tiny.merged.json")) < 1e-4);
  }

  @Test
  void generateStreamsASinglePromptAndIsSeeded() throws Exception {
    String a =
        capture(
            "generate",
            "--model",
            fixture("gpt2-tiny").toString(),
            "--prompt",
            "Hello",
            "--max-new-tokens",
            "8",
            "--seed",
            "3");
    String b =
        capture(
            "generate",
            "--model",
            fixture("gpt2-tiny").toString(),
            "--prompt",
            "Hello",
            "--max-new-tokens",
            "8",
            "--seed",
            "3");
    assertTrue(a.startsWith("Hello"), a);
    assertEquals(a, b);
  }

  @Test
  void badInputGivesAClearErrorAndExitCode2() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    int code;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code =
          Rlhf4jCli.run(
              "logits",
              "--model",
              fixture("gpt2-tiny").toString(),
              "--ids",
              "1,x",
              "--out",
              tmp.resolve("x.json").toString());
    } finally {
      System.setErr(old);
    }
    assertEquals(2, code);
    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains("'x' is not an integer"),
        err.toString(StandardCharsets.UTF_8));
  }

  private static String capture(String... args) {
    CliRun.Result r = CliRun.run(args);
    assertEquals(0, r.code(), r.err());
    return r.out();
  }
}
