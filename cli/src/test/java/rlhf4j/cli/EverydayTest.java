package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.reward.RewardException;
import rlhf4j.testing.Fixtures;

/** Exit codes, output checks before work, help and version: what a new user meets first. */
class EverydayTest {
  @TempDir Path tmp;

  static Path fixture(String name) throws URISyntaxException {
    return Fixtures.path("hf/" + name);
  }

  @Test
  void exceptionsMapToTheDocumentedExitCodes() {
    assertEquals(3, ExitCodes.codeOf(new DivergenceException("SFT loss is NaN")));
    assertEquals(3, ExitCodes.codeOf(new RewardException("remote", "scorer down")));
    assertEquals(4, ExitCodes.codeOf(new IOException("No space left on device")));
    assertEquals(
        4, ExitCodes.codeOf(new UncheckedIOException(new IOException("No space left on device"))));
    assertEquals(2, ExitCodes.codeOf(new NoSuchFileException("/no/such")));
    assertEquals(2, ExitCodes.codeOf(new IllegalArgumentException("bad")));
    assertEquals(1, ExitCodes.codeOf(new NullPointerException()));
    assertEquals(
        "/x/y: permission denied",
        ExitCodes.message(
            new UncheckedIOException(new java.nio.file.AccessDeniedException("/x/y"))));
  }

  @Test
  void aDiskFullDuringACheckpointNamesTheFolder() {
    UncheckedIOException e =
        new UncheckedIOException(
            "cannot write checkpoint in runs/x", new IOException("No space left on device"));
    assertEquals(4, ExitCodes.codeOf(e));
    assertEquals(
        "cannot write checkpoint in runs/x: No space left on device", ExitCodes.message(e));
  }

  @Test
  void unknownOptionIsAUsageError() {
    CliRun.Result r = CliRun.run("sft", "--no-such-option");
    assertEquals(2, r.code(), r.err());
    CliRun.Result threads = CliRun.run("logits", "--threads", "-1", "--preset", "nano");
    assertEquals(2, threads.code(), threads.err());
    assertTrue(threads.err().contains("--threads"), threads.err());
    assertTrue(
        threads.err().contains("must be >= 0, got -1")
            && threads.err().contains("Usage: rlhf4j logits"),
        threads.err());
  }

  private Path sftYaml(Path outputDir) throws Exception {
    Path data = tmp.resolve("sft.jsonl");
    Files.writeString(data, "{\"text\": \"the movie was great\"}\n{\"text\": \"dull plot\"}\n");
    Path f = tmp.resolve("sft.yaml");
    Files.writeString(
        f,
        "model:\n  preset: nano\n  tokenizer: "
            + fixture("gpt2-tiny")
            + "\n  vocab_from_tokenizer: true\ndata:\n  path: "
            + data
            + "\ntrainer:\n  output_dir: "
            + outputDir
            + "\n  max_steps: 1\n  per_device_train_batch_size: 2\n");
    return f;
  }

  private Path rewardYaml(Path outputDir) throws Exception {
    Path f = tmp.resolve("rm.yaml");
    Files.writeString(
        f,
        "model:\n  preset: nano\n  tokenizer: "
            + fixture("gpt2-tiny")
            + "\ndata:\n  path: "
            + Path.of("configs/train-reward-data.jsonl").toAbsolutePath()
            + "\ntrainer:\n  output_dir: "
            + outputDir
            + "\n  num_train_epochs: 1\n");
    return f;
  }

  @Test
  void sftRefusesAnOutputFolderThatIsAFileBeforeTraining() throws Exception {
    Path file = Files.writeString(tmp.resolve("taken"), "x");
    CliRun.Result r = CliRun.run("sft", "--config", sftYaml(file).toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("trainer.output_dir " + file + " is a file"), r.err());
    assertFalse(r.out().contains("sft:"), "refused before loading anything: " + r.out());
  }

  @Test
  void anOutputFolderThatCannotBeCreatedIsAnIoErrorNamingIt() throws Exception {
    Path under = Files.writeString(tmp.resolve("plainfile"), "x").resolve("out");
    CliRun.Result sft = CliRun.run("sft", "--config", sftYaml(under).toString());
    assertEquals(4, sft.code(), sft.err());
    assertTrue(sft.err().contains(under + " cannot be created"), sft.err());
    assertFalse(sft.err().contains("\tat "), "no stack trace: " + sft.err());
    assertFalse(sft.out().contains("sft:"), "refused before training: " + sft.out());

    CliRun.Result rm = CliRun.run("train-reward", "--config", rewardYaml(under).toString());
    assertEquals(4, rm.code(), rm.err());
    assertTrue(rm.err().contains(under + " cannot be created"), rm.err());
    assertFalse(rm.out().contains("train-reward:"), "refused before training: " + rm.out());

    Path ppo =
        Files.writeString(
            tmp.resolve("ppo.yaml"), PpoCommandTest.yaml(under, 1, PpoCommandTest.LENGTH));
    CliRun.Result p = CliRun.run("ppo", "--config", ppo.toString());
    assertEquals(4, p.code(), p.err());
    assertTrue(p.err().contains(under + " cannot be created"), p.err());

    CliRun.Result q = CliRun.run("quickstart", "--fast", "--quiet", "--out", under.toString());
    assertEquals(4, q.code(), q.err());
    assertTrue(q.err().contains(under + " cannot be created"), q.err());
  }

  @Test
  void helpCommandPrintsACommandsUsage() {
    CliRun.Result r = CliRun.run("help", "generate");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("Usage: rlhf4j generate"), r.out());
    CliRun.Result top = CliRun.run("--help");
    assertTrue(top.out().contains("Exit codes:"), top.out());
    assertTrue(top.out().contains("4  reading or writing a file failed"), top.out());
  }

  @Test
  void noOptionIsListedTwiceInHelp() {
    for (String cmd : List.of("logits", "generate", "merge", "sft", "train-reward", "ppo")) {
      String help = CliRun.run(cmd, "--help").out();
      Matcher m = Pattern.compile("(?m)^ +(?:-\\w, )?(--[\\w-]+)").matcher(help);
      List<String> names = m.results().map(x -> x.group(1)).toList();
      assertEquals(
          names.stream().distinct().count(),
          names.size(),
          cmd + " lists an option twice: " + names);
      assertTrue(names.contains("--threads"), cmd + " has --threads: " + names);
      assertTrue(help.contains("Exit codes:"), cmd + " lists the exit codes:\n" + help);
    }
  }

  @Test
  void versionIsTheArtifactVersion() throws IOException {
    String pom = Files.readString(Path.of("pom.xml"));
    Matcher m =
        Pattern.compile("<parent>.*?<version>([^<]+)</version>", Pattern.DOTALL).matcher(pom);
    assertTrue(m.find());
    CliRun.Result r = CliRun.run("--version");
    assertEquals(0, r.code());
    assertEquals("rlhf4j " + m.group(1), r.out().strip());
  }

  @Test
  void generateRefusesMaxNewTokensPastThePositionsBeforePrintingAnything() throws Exception {
    CliRun.Result r =
        CliRun.run(
            "generate",
            "--model",
            fixture("gpt2-tiny").toString(),
            "--prompt",
            "the movie was",
            "--max-new-tokens",
            "200");
    assertEquals(2, r.code(), r.err());
    assertEquals("", r.out());
    assertTrue(r.err().contains("--max-new-tokens 200 does not fit"), r.err());
  }

  @Test
  void generateCapsTheDefaultToThePositionsLeft() throws Exception {
    String prompt = "the movie was great and the plot was fine. ".repeat(2) + "the cast";
    CliRun.Result r =
        CliRun.run(
            "generate",
            "--model",
            fixture("gpt2-tiny").toString(),
            "--prompt",
            prompt,
            "--seed",
            "1");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith(prompt), r.out());
    assertTrue(r.err().contains("generating up to"), r.err());
  }

  @Test
  void logitsRefusesNonFiniteValues() {
    float[] logits = {0f, 1f, 2f, Float.NaN};
    IllegalStateException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalStateException.class, () -> LogitsCommand.checkFinite(logits, 2, 2));
    assertTrue(e.getMessage().contains("row 0, position 1"), e.getMessage());
  }

  @Test
  void filesWrittenByAppendIntoTheRunAreReadableByOthers() throws Exception {
    Path ppo =
        Files.writeString(
            tmp.resolve("p.yaml"),
            PpoCommandTest.yaml(tmp.resolve("run"), 1, PpoCommandTest.LENGTH));
    assertEquals(0, CliRun.run("ppo", "--config", ppo.toString()).code());
    String perms =
        Files.walk(tmp.resolve("run"))
            .filter(p -> !p.getFileName().toString().equals(RunLock.FILE))
            .map(
                p -> {
                  try {
                    return java.nio.file.attribute.PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(p));
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                })
            .collect(Collectors.toSet())
            .toString();
    assertFalse(perms.contains("rw-------"), perms);
    assertFalse(perms.contains("rwx------"), perms);
  }

  @Test
  void theSftAndTrainRewardExampleConfigsRunFromAFreshClone() throws IOException {
    for (String command : List.of("sft", "train-reward")) {
      Path example = Path.of("configs/" + command + ".yaml");
      String text = Files.readString(example);
      assertFalse(text.contains("target/"), command + " writes into a build folder");
      assertTrue(text.contains("output_dir: runs/"), text);
      Path config = PpoCommandTest.fromRepositoryRoot(example, tmp);
      CliRun.Result r = CliRun.run(command, "--config", config.toString());
      assertEquals(0, r.code(), command + ": " + r.err());
      assertTrue(
          Files.isRegularFile(
              tmp.resolve("runs").resolve(outputName(text)).resolve("config.json")));
    }
  }

  private static String outputName(String yaml) {
    Matcher m = Pattern.compile("output_dir: runs/(\\S+)").matcher(yaml);
    assertTrue(m.find(), yaml);
    return m.group(1);
  }

  @Test
  void logDefaultsKeepWhatTheUserSet() {
    String key = LogDefaults.PREFIX + "log.ai.djl.util.Platform";
    String before = System.getProperty(key);
    try {
      System.setProperty(key, "debug");
      LogDefaults.apply();
      assertEquals("debug", System.getProperty(key));
      assertEquals(
          "off", System.getProperty(LogDefaults.PREFIX + "log.ai.djl.util.cuda.CudaUtils"));
      assertEquals("System.err", System.getProperty(LogDefaults.PREFIX + "logFile"));
    } finally {
      if (before == null) {
        System.clearProperty(key);
      } else {
        System.setProperty(key, before);
      }
    }
  }

  @Test
  void aNormalRunPrintsOnlyItsResult() {
    CliRun.Result r =
        CliRun.run(
            "logits",
            "--preset",
            "nano",
            "--ids",
            "1,2,3",
            "--out",
            tmp.resolve("l.json").toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("", r.err());
    assertEquals(1, r.out().lines().count(), r.out());
  }

  @Test
  void logitsRefusesAnOutputThatIsAFolderBeforeComputing() throws IOException {
    Path folder = Files.createDirectories(tmp.resolve("outdir"));
    CliRun.Result r =
        CliRun.run("logits", "--preset", "nano", "--ids", "1,2,3", "--out", folder.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--out " + folder + " is a folder"), r.err());
    Path under = Files.writeString(tmp.resolve("f"), "x").resolve("l.json");
    CliRun.Result file =
        CliRun.run("logits", "--preset", "nano", "--ids", "1,2,3", "--out", under.toString());
    assertEquals(2, file.code(), file.err());
    assertTrue(file.err().contains("--out " + under.getParent() + " is a file"), file.err());
    Path deeper = under.resolve("x.json");
    CliRun.Result io =
        CliRun.run("logits", "--preset", "nano", "--ids", "1,2,3", "--out", deeper.toString());
    assertEquals(4, io.code(), io.err());
    assertTrue(io.err().contains(deeper.getParent() + " cannot be created"), io.err());
  }

  @Test
  void modelPathsThatAreNotFoldersOrFilesAreNamedForWhatTheyAre() throws Exception {
    CliRun.Result dev =
        CliRun.run(
            "logits", "--model", "/dev/zero", "--ids", "1,2", "--out", tmp.resolve("a").toString());
    assertEquals(2, dev.code(), dev.err());
    assertTrue(dev.err().contains("/dev/zero: is not a folder"), dev.err());

    Path loop = Files.createDirectories(tmp.resolve("loop"));
    Files.copy(fixture("gpt2-tiny").resolve("config.json"), loop.resolve("config.json"));
    Path weights = loop.resolve("model.safetensors");
    Files.createSymbolicLink(weights, weights);
    CliRun.Result r =
        CliRun.run(
            "logits",
            "--model",
            loop.toString(),
            "--ids",
            "1,2",
            "--out",
            tmp.resolve("b").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(weights + ": is a broken symbolic link or a link loop"), r.err());
  }

  @Test
  void yamlDuplicatesAndNonFiniteNumbersAreExplainedInTheUsersTerms() throws IOException {
    Path dup =
        Files.writeString(
            tmp.resolve("dup.yaml"), "model:\n  preset: nano\nmodel:\n  preset: tiny\n");
    CliRun.Result d = CliRun.run("ppo", "--config", dup.toString());
    assertEquals(2, d.code(), d.err());
    assertTrue(d.err().contains("duplicate key 'model': give each key once"), d.err());
    assertFalse(d.err().contains("ObjectNode"), d.err());

    String ppo = PpoCommandTest.yaml(tmp.resolve("run"), 1, PpoCommandTest.LENGTH);
    Path nan = Files.writeString(tmp.resolve("nan.yaml"), ppo.replace("1.0e-3", ".nan"));
    CliRun.Result n = CliRun.run("ppo", "--config", nan.toString());
    assertEquals(2, n.code(), n.err());
    assertTrue(n.err().contains(".nan is valid YAML but not a usable setting"), n.err());
  }
}
