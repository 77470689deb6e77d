package rlhf4j.policy.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointFoldersTest {
  @TempDir Path runDir;

  static final CheckpointFolders FOLDERS = new CheckpointFolders("ckpt-", "state.json");

  void complete(long step) throws IOException {
    Path dir = FOLDERS.folder(runDir, step);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("state.json"), "{}");
  }

  @Test
  void onlyCompleteFoldersCountOrderedByStepAsANumber() throws IOException {
    assertTrue(FOLDERS.latest(runDir.resolve("absent")).isEmpty());
    complete(9);
    complete(10);
    Files.createDirectories(runDir.resolve("ckpt-11")); // no marker: incomplete
    Files.createDirectories(runDir.resolve("checkpoint-12").resolve("state.json"));
    Files.writeString(runDir.resolve("ckpt-13"), "a file");
    assertEquals(
        List.of(runDir.resolve("ckpt-9"), runDir.resolve("ckpt-10")), FOLDERS.list(runDir));
    assertEquals(runDir.resolve("ckpt-10"), FOLDERS.latest(runDir).orElseThrow());
    assertEquals(10, FOLDERS.stepOf(runDir.resolve("ckpt-10")));
    assertThrows(IllegalArgumentException.class, () -> FOLDERS.stepOf(runDir.resolve("x-1")));
  }

  @Test
  void keepLastDeletesTheOldestCompleteFoldersOnly() throws IOException {
    for (long s : new long[] {1, 2, 3}) {
      complete(s);
    }
    Files.createDirectories(runDir.resolve("ckpt-0")); // incomplete: not a checkpoint, kept
    FOLDERS.keepLast(runDir, 1);
    try (Stream<Path> s = Files.list(runDir)) {
      assertEquals(
          List.of("ckpt-0", "ckpt-3"), s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertThrows(IllegalArgumentException.class, () -> FOLDERS.keepLast(runDir, 0));
  }
}
