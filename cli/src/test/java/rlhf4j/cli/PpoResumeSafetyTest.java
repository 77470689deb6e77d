package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.testing.Fixtures;

/**
 * The ppo command's guards around an output folder: lock, base/reward fingerprint, crash repair.
 */
class PpoResumeSafetyTest {
  @TempDir Path tmp;

  private Path config(String name, Path run, String reward) throws IOException {
    return Files.writeString(tmp.resolve(name), PpoCommandTest.yaml(run, 2, reward));
  }

  @Test
  void aSecondRunIntoAFolderInUseIsRefusedAndAStaleLockIsTakenOver() throws IOException {
    Path run = Files.createDirectories(tmp.resolve("run"));
    Path cfg = config("a.yaml", run, PpoCommandTest.LENGTH);
    try (RunLock held = RunLock.acquire(run)) {
      CliRun.Result r = CliRun.run("ppo", "--config", cfg.toString(), "--steps", "1");
      assertEquals(2, r.code(), r.err());
      assertTrue(r.err().contains("another run is writing to " + run), r.err());
      assertTrue(r.err().contains("process " + ProcessHandle.current().pid()), r.err());
    }
    // the lock file stays behind, as after a kill -9: nobody holds it, so the next run proceeds
    assertTrue(Files.exists(run.resolve(RunLock.FILE)));
    CliRun.Result ok = CliRun.run("ppo", "--config", cfg.toString(), "--steps", "1");
    assertEquals(0, ok.code(), ok.err());
  }

  @Test
  void resumeOverADifferentBaseOrRewardIsRefusedSayingWhatDiffers() throws IOException {
    Path run = tmp.resolve("run");
    Path cfg = config("a.yaml", run, PpoCommandTest.LENGTH);
    assertEquals(0, CliRun.run("ppo", "--config", cfg.toString(), "--steps", "1").code());
    assertTrue(Files.isRegularFile(run.resolve(RunFingerprint.FILE)));

    String otherBase =
        PpoCommandTest.yaml(run, 2, PpoCommandTest.LENGTH)
            .replace("preset: nano\n", "preset: nano\n  seed: 7\n");
    CliRun.Result base =
        CliRun.run(
            "ppo",
            "--config",
            Files.writeString(tmp.resolve("b.yaml"), otherBase).toString(),
            "--resume");
    assertEquals(2, base.code(), base.err());
    assertTrue(base.err().contains("the base model differs"), base.err());
    assertTrue(base.err().contains("preset nano seed 0"), base.err());

    String otherReward = "{name: length, options: {target: 3, unit: tokens}}";
    CliRun.Result reward =
        CliRun.run("ppo", "--config", config("c.yaml", run, otherReward).toString(), "--resume");
    assertEquals(2, reward.code(), reward.err());
    assertTrue(reward.err().contains("the reward differs"), reward.err());
    assertTrue(reward.err().contains("target=3"), reward.err());

    CliRun.Result same = CliRun.run("ppo", "--config", cfg.toString(), "--resume");
    assertEquals(0, same.code(), same.err());
  }

  @Test
  void theFingerprintOfAModelFolderSeesChangedWeights() throws Exception {
    Path a = Fixtures.path("hf/gpt2-tiny");
    Path b = Files.createDirectories(tmp.resolve("copy"));
    for (String f : new String[] {"config.json", "model.safetensors"}) {
      Files.copy(a.resolve(f), b.resolve(f));
    }
    assertEquals(RunFingerprint.folderHash(a), RunFingerprint.folderHash(b));
    byte[] w = Files.readAllBytes(b.resolve("model.safetensors"));
    w[w.length - 3] ^= 1; // one bit of the last tensor
    Files.write(b.resolve("model.safetensors"), w);
    assertNotEquals(RunFingerprint.folderHash(a), RunFingerprint.folderHash(b));
  }

  @Test
  void resumeRepairsACheckpointLeftBetweenTheTwoRenames() throws IOException {
    Path run = tmp.resolve("run");
    Path cfg = config("a.yaml", run, PpoCommandTest.LENGTH);
    assertEquals(0, CliRun.run("ppo", "--config", cfg.toString(), "--steps", "1").code());
    // a crash after moving checkpoint-1 aside and before renaming its replacement in
    Files.move(run.resolve("checkpoint-1"), run.resolve(".old-checkpoint-1-123456"));
    Files.createDirectories(run.resolve(".tmp-final-99"));
    CliRun.Result r = CliRun.run("ppo", "--config", cfg.toString(), "--resume");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("resumed from"), r.out());
    assertTrue(Files.isDirectory(run.resolve("checkpoint-2")));
    assertTrue(Files.notExists(run.resolve(".tmp-final-99")));
  }
}
