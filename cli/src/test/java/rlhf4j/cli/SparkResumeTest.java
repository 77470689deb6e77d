package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --resume} across {@code --spark-master}: the local generator samples a batch from one
 * stream, Spark every prompt from its own (they draw different tokens: {@code PerPromptSeedsTest}),
 * so a run resumed across the switch would not continue exactly and is refused, in both directions,
 * for {@code ppo} (its run fingerprint) and {@code grpo} ({@value RolloutSeeds#FILE}); any two
 * Spark masters share the scheme, so a resume on another master is allowed.
 */
class SparkResumeTest {
  @TempDir Path tmp;

  private static String flat(String s) {
    return s.replaceAll("\\s+", " ");
  }

  @Test
  void ppoStartedOnSparkRefusesToResumeLocallyAndResumesOnAnotherMaster() throws IOException {
    Path run = tmp.resolve("ppo-spark");
    Path cfg = tmp.resolve("ppo.yaml");
    Files.writeString(cfg, PpoCommandTest.yaml(run, 1, PpoCommandTest.LENGTH));
    CliRun.Result first =
        CliRun.run("ppo", "--config", cfg.toString(), "--spark-master", "local[2]");
    assertEquals(0, first.code(), first.err());

    CliRun.Result local = CliRun.run("ppo", "--config", cfg.toString(), "--resume", "--steps", "2");
    assertEquals(ExitCodes.USAGE, local.code(), local.out());
    String err = flat(local.err());
    assertTrue(err.contains("the run started with --spark-master"), err);
    assertTrue(err.contains("resume with --spark-master URL"), err);
    assertTrue(err.contains(RunFingerprint.FILE), err);
    assertEquals(1, PpoCommandTest.checkpoints(run).size(), "nothing ran");

    CliRun.Result other =
        CliRun.run(
            "ppo",
            "--config",
            cfg.toString(),
            "--resume",
            "--steps",
            "2",
            "--spark-master",
            "local[1]");
    assertEquals(0, other.code(), other.err());
    assertTrue(other.out().contains("(step 1)"), other.out());
  }

  @Test
  void ppoStartedLocallyRefusesToResumeOnSpark() throws IOException {
    Path run = tmp.resolve("ppo-local");
    Path cfg = tmp.resolve("ppo.yaml");
    Files.writeString(cfg, PpoCommandTest.yaml(run, 1, PpoCommandTest.LENGTH));
    assertEquals(0, CliRun.run("ppo", "--config", cfg.toString()).code());

    CliRun.Result spark =
        CliRun.run(
            "ppo",
            "--config",
            cfg.toString(),
            "--resume",
            "--steps",
            "2",
            "--spark-master",
            "local[2]");
    assertEquals(ExitCodes.USAGE, spark.code(), spark.out());
    String err = flat(spark.err());
    assertTrue(err.contains("the run started without --spark-master"), err);
    assertTrue(err.contains("resume without --spark-master"), err);
    assertTrue(Files.notExists(run.resolve(SparkRollouts.BASE_MODEL)), "no Spark run started");
  }

  @Test
  void grpoRefusesToResumeAcrossTheSwitchInBothDirections() throws IOException {
    Path onSpark = tmp.resolve("grpo-spark");
    Path sparkCfg = tmp.resolve("grpo-spark.yaml");
    Files.writeString(sparkCfg, PolicyCommandsTest.grpoYaml(onSpark, 1));
    CliRun.Result first =
        CliRun.run("grpo", "--config", sparkCfg.toString(), "--spark-master", "local[2]");
    assertEquals(0, first.code(), first.err());
    assertEquals("per-prompt", Files.readString(onSpark.resolve(RolloutSeeds.FILE)).strip());
    CliRun.Result local =
        CliRun.run("grpo", "--config", sparkCfg.toString(), "--resume", "--steps", "2");
    assertEquals(ExitCodes.USAGE, local.code(), local.out());
    String err = flat(local.err());
    assertTrue(err.contains("the run started with --spark-master"), err);
    assertTrue(err.contains("resume with --spark-master URL"), err);
    assertTrue(err.contains(RolloutSeeds.FILE), err);
    CliRun.Result other =
        CliRun.run(
            "grpo",
            "--config",
            sparkCfg.toString(),
            "--resume",
            "--steps",
            "2",
            "--spark-master",
            "local[1]");
    assertEquals(0, other.code(), other.err());

    Path here = tmp.resolve("grpo-local");
    Path localCfg = tmp.resolve("grpo-local.yaml");
    Files.writeString(localCfg, PolicyCommandsTest.grpoYaml(here, 1));
    assertEquals(0, CliRun.run("grpo", "--config", localCfg.toString()).code());
    assertEquals("per-batch", Files.readString(here.resolve(RolloutSeeds.FILE)).strip());
    CliRun.Result spark =
        CliRun.run(
            "grpo",
            "--config",
            localCfg.toString(),
            "--resume",
            "--steps",
            "2",
            "--spark-master",
            "local[2]");
    assertEquals(ExitCodes.USAGE, spark.code(), spark.out());
    err = flat(spark.err());
    assertTrue(err.contains("the run started without --spark-master"), err);
    assertTrue(err.contains("resume without --spark-master"), err);
  }
}
