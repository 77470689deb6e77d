package rlhf4j.policy.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checkpoint folders of a run, {@code <runDir>/<prefix><step>/}: naming, listing, the latest
 * one and pruning. A folder counts as a complete checkpoint only when it holds the marker file that
 * its writer writes last (or that an atomic folder write brings in with the rest); temporary
 * folders, files and other names are ignored. Any trainer's checkpoints fit.
 */
public final class CheckpointFolders {
  private final String prefix;
  private final String marker;
  private final Pattern name;

  /**
   * @param prefix folder name before the step, e.g. {@code "checkpoint-"}
   * @param marker the file whose presence marks a complete checkpoint, e.g. {@code
   *     "trainer_state.json"}
   */
  public CheckpointFolders(String prefix, String marker) {
    this.prefix = Objects.requireNonNull(prefix, "prefix");
    this.marker = Objects.requireNonNull(marker, "marker");
    if (prefix.isEmpty() || marker.isEmpty()) {
      throw new IllegalArgumentException("prefix and marker must not be empty");
    }
    this.name = Pattern.compile(Pattern.quote(prefix) + "(\\d{1,18})");
  }

  /** The folder of step {@code step} in {@code runDir}. */
  public Path folder(Path runDir, long step) {
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
    return runDir.resolve(prefix + step);
  }

  /**
   * Complete checkpoints in {@code runDir}, oldest (lowest step) first. Empty if the folder does
   * not exist.
   */
  public List<Path> list(Path runDir) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(runDir)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(runDir)) {
      for (Path p : ds) {
        if (name.matcher(p.getFileName().toString()).matches()
            && Files.isDirectory(p)
            && Files.isRegularFile(p.resolve(marker))) {
          out.add(p);
        }
      }
    }
    out.sort(Comparator.comparingLong(this::stepOf));
    return out;
  }

  /** The complete checkpoint with the highest step, if any. */
  public Optional<Path> latest(Path runDir) throws IOException {
    List<Path> all = list(runDir);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /**
   * The step in a checkpoint folder's name ({@code checkpoint-12} → 12).
   *
   * @throws IllegalArgumentException if the name is not {@code <prefix><step>}
   */
  public long stepOf(Path checkpointDir) {
    Matcher m = name.matcher(checkpointDir.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          checkpointDir + " is not named " + prefix + "<step>; pass a checkpoint folder");
    }
    return Long.parseLong(m.group(1));
  }

  /** Deletes all but the newest {@code k} complete checkpoints in {@code runDir}. */
  public void keepLast(Path runDir, int k) throws IOException {
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1, got " + k);
    }
    List<Path> all = list(runDir);
    for (int i = 0; i < all.size() - k; i++) {
      AtomicFiles.deleteFolder(all.get(i)); // renamed first: never a half-deleted checkpoint
    }
  }
}
