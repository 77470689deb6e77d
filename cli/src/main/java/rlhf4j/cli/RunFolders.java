package rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import rlhf4j.policy.io.AtomicFiles;

/** Repairs a run folder after a crash, before anything reads its checkpoints or final folder. */
final class RunFolders {
  /** {@code .tmp-<name>-<digits>} or {@code .old-<name>-<digits>} as AtomicFiles names them. */
  private static final Pattern LEFTOVER = Pattern.compile("\\.(?:tmp|old)-(.+)-\\d+");

  private RunFolders() {}

  /**
   * Calls {@link AtomicFiles#recoverFolder} for {@code final/} and every folder a leftover
   * temporary or moved-aside copy names (checkpoints): a crash between a write's two renames is
   * repaired and half-written copies are removed.
   */
  static void recover(Path runDir) throws IOException {
    Set<String> names = new TreeSet<>();
    names.add(PpoCommand.FINAL);
    try (Stream<Path> s = Files.list(runDir)) {
      s.forEach(
          p -> {
            Matcher m = LEFTOVER.matcher(p.getFileName().toString());
            if (m.matches() && Files.isDirectory(p)) {
              names.add(m.group(1));
            }
          });
    }
    for (String name : names) {
      AtomicFiles.recoverFolder(runDir.resolve(name));
    }
  }
}
