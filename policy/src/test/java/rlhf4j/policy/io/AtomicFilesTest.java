package rlhf4j.policy.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  private List<String> entries() throws IOException {
    return entries(dir);
  }

  private static List<String> entries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writeFolderReplacesTheOldFolderAndLeavesNoTemporaries() throws IOException {
    Path target = dir.resolve("final");
    AtomicFiles.writeFolder(target, tmp -> Files.writeString(tmp.resolve("a.txt"), "one"));
    AtomicFiles.writeFolder(target, tmp -> Files.writeString(tmp.resolve("b.txt"), "two"));
    assertEquals(List.of("final"), entries());
    assertEquals(
        List.of("b.txt"), Files.list(target).map(p -> p.getFileName().toString()).toList());
    assertEquals("two", Files.readString(target.resolve("b.txt")));
  }

  @Test
  void aFailingWriterKeepsTheOldFolderIntact() throws IOException {
    Path target = dir.resolve("final");
    AtomicFiles.writeFolder(target, tmp -> Files.writeString(tmp.resolve("a.txt"), "one"));
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                AtomicFiles.writeFolder(
                    target,
                    tmp -> {
                      Files.writeString(tmp.resolve("half.txt"), "half");
                      throw new IOException("disk full");
                    }));
    assertEquals("disk full", e.getMessage());
    assertEquals(List.of("final"), entries());
    assertEquals("one", Files.readString(target.resolve("a.txt")));
    assertFalse(Files.exists(target.resolve("half.txt")));
  }

  @Test
  void deleteFolderRemovesEverythingAndDeleteTreeOfNothingIsANoOp() throws IOException {
    Path d = dir.resolve("checkpoint-1");
    Files.createDirectories(d.resolve("adapter"));
    Files.writeString(d.resolve("adapter/x.bin"), "x");
    AtomicFiles.deleteFolder(d);
    assertEquals(List.of(), entries());
    AtomicFiles.deleteTree(dir.resolve("never-was")); // nothing to delete is fine
  }

  @Test
  void aCrashBetweenTheTwoRenamesIsRepairedFromTheMovedAsideCopy() throws IOException {
    // the state a kill -9 leaves after target -> .old-final-* and before .tmp-final-* -> target
    Path old = Files.createDirectory(dir.resolve(".old-final-123"));
    Files.writeString(old.resolve("adapter.txt"), "complete");
    Path tmp = Files.createDirectory(dir.resolve(".tmp-final-456"));
    Files.writeString(tmp.resolve("adapter.txt"), "maybe half");
    assertTrue(AtomicFiles.recoverFolder(dir.resolve("final")));
    assertEquals(List.of("final"), entries());
    assertEquals("complete", Files.readString(dir.resolve("final/adapter.txt")));
  }

  @Test
  void leftoverTemporariesAreCleanedOnTheNextWrite() throws IOException {
    Path target = dir.resolve("checkpoint-2");
    AtomicFiles.writeFolder(target, f -> Files.writeString(f.resolve("a"), "1"));
    Files.createDirectory(dir.resolve(".tmp-checkpoint-2-77"));
    Files.createDirectory(dir.resolve(".old-checkpoint-2-88"));
    Files.createDirectory(dir.resolve(".tmp-checkpoint-20-99")); // another folder's: kept
    AtomicFiles.writeFolder(target, f -> Files.writeString(f.resolve("a"), "2"));
    assertEquals(List.of(".tmp-checkpoint-20-99", "checkpoint-2"), entries());
    assertEquals("2", Files.readString(target.resolve("a")));
    assertFalse(AtomicFiles.recoverFolder(target));
  }

  @Test
  void writtenFilesAndFoldersGetNormalPermissionsNotThoseOfTemporaryFiles() throws IOException {
    Path file = dir.resolve("f.json");
    AtomicFiles.writeString(file, "{}");
    assertEquals(
        "rw-r--r--",
        java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    Path folder = dir.resolve("adapter");
    AtomicFiles.writeFolder(folder, tmp -> Files.writeString(tmp.resolve("a"), "1"));
    assertEquals(
        "rwxr-xr-x",
        java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(folder)));
  }

  @Test
  void aFileWriteErrorWithoutAPathNamesTheFile() {
    Path file = dir.resolve("big.bin");
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                AtomicFiles.write(
                    file,
                    out -> {
                      throw new IOException("No space left on device");
                    }));
    assertEquals("writing " + file + ": No space left on device", e.getMessage());
  }
}
