package rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks an output folder before a command does any work, so an unwritable or invalid location is
 * reported at once instead of after training (when the work would be lost).
 */
final class OutputFolders {
  private OutputFolders() {}

  /**
   * Creates {@code dir} if needed and proves it writable with a probe file.
   *
   * @param what how the user named it, for messages ({@code "trainer.output_dir"}, {@code "--out"})
   * @throws IllegalArgumentException when {@code dir} is an existing file (exit code 2)
   * @throws IOException naming {@code dir} when it cannot be created or written (exit code 4)
   */
  static Path prepare(Path dir, String what) throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          what + " " + dir + " is a file; name a folder (it is created if missing)");
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IOException(
          what + " " + dir + " cannot be created (" + ExitCodes.message(e) + ")", e);
    }
    try {
      Path probe = Files.createTempFile(dir, ".rlhf4j-write-test-", ".tmp");
      Files.delete(probe);
    } catch (IOException e) {
      throw new IOException(
          what + " " + dir + " is not writable (" + ExitCodes.message(e) + ")", e);
    }
    return dir;
  }
}
