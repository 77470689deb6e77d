package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --base-dtype} of {@code generate} and {@code logits} (ModelOptions). */
class BaseDtypeOptionTest {
  @TempDir Path dir;

  private Path logits(String dtype, String... model) throws IOException {
    Path out = dir.resolve("logits-" + dtype + ".json");
    String[] args = new String[model.length + 7];
    args[0] = "logits";
    System.arraycopy(model, 0, args, 1, model.length);
    int i = model.length + 1;
    args[i++] = "--base-dtype";
    args[i++] = dtype;
    args[i++] = "--ids";
    args[i++] = CliTest.IDS;
    args[i++] = "--out";
    args[i] = out.toString();
    CliRun.Result r = CliRun.run(args);
    assertEquals(0, r.code(), r.err());
    return out;
  }

  private static double[] flat(Path json) throws IOException {
    JsonArray a =
        JsonParser.parseString(Files.readString(json)).getAsJsonObject().getAsJsonArray("logits");
    java.util.List<Double> v = new java.util.ArrayList<>();
    a.forEach(
        b ->
            b.getAsJsonArray()
                .forEach(t -> t.getAsJsonArray().forEach(x -> v.add(x.getAsDouble()))));
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** max |a − b| over max |a|. */
  private static double relativeMaxDiff(double[] a, double[] b) {
    double diff = 0;
    double scale = 0;
    for (int i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(a[i]));
    }
    return diff / scale;
  }

  @Test
  void int8AndFp16LogitsAreCloseToFp32ButNotIdentical() throws IOException {
    for (String[] model :
        new String[][] {{"--preset", "tiny", "--init-seed", "1"}, {"--model", fixturePath()}}) {
      double[] fp32 = flat(logits("fp32", model));
      double[] int8 = flat(logits("int8", model));
      double[] fp16 = flat(logits("fp16", model));
      double d8 = relativeMaxDiff(fp32, int8);
      double d16 = relativeMaxDiff(fp32, fp16);
      System.out.printf(
          "%s: max |logit - fp32| / max |logit|: int8 %.3e, fp16 %.3e%n", model[1], d8, d16);
      assertTrue(d8 > 0, "int8 logits identical to fp32: the option changed nothing");
      assertTrue(d8 < 0.05, "int8 logits too far from fp32: " + d8);
      assertTrue(d16 > 0 && d16 < d8, "fp16 rounds less than int8: " + d16 + " vs " + d8);
    }
  }

  private static String fixturePath() {
    try {
      return CliTest.fixture("gpt2-tiny").toString();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void generateRunsOnAnInt8Base() {
    CliRun.Result r =
        CliRun.run(
            "generate",
            "--model",
            fixturePath(),
            "--base-dtype",
            "int8",
            "--prompt",
            "Hello",
            "--max-new-tokens",
            "4",
            "--temperature",
            "0");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("Hello"), r.out());
  }

  @Test
  void aBadValueExitsTwoNamingTheOption() {
    for (String command : new String[] {"generate", "logits"}) {
      CliRun.Result r;
      if (command.equals("generate")) {
        r =
            CliRun.run(
                command,
                "--preset",
                "nano",
                "--tokenizer",
                fixturePath(),
                "--base-dtype",
                "int4",
                "--prompt",
                "Hi");
      } else {
        r =
            CliRun.run(
                command,
                "--preset",
                "nano",
                "--base-dtype",
                "int4",
                "--ids",
                "1,2",
                "--out",
                dir.resolve("x.json").toString());
      }
      assertEquals(2, r.code(), command + ": " + r.err());
      assertTrue(
          r.err().contains("--base-dtype") && r.err().contains("fp32, fp16, int8"),
          command + ": " + r.err());
    }
  }

  @Test
  void mergeIntoAQuantisedBaseIsRefused() throws Exception {
    CliRun.Result r =
        CliRun.run(
            "logits",
            "--model",
            fixturePath(),
            "--adapter",
            CliTest.fixture("gpt2-tiny-lora").toString(),
            "--merge",
            "--base-dtype",
            "int8",
            "--ids",
            CliTest.IDS,
            "--out",
            dir.resolve("m.json").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--merge needs --base-dtype fp32"), r.err());
  }
}
