package rlhf4j.policy.io;

import java.nio.file.Path;

/**
 * A checkpoint file or folder is malformed or does not fit the model; the message names the file
 * and the entry.
 */
public class CheckpointException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }

  /** An error about {@code file}, with a fix hint. */
  public static CheckpointException of(Path file, String what) {
    return new CheckpointException(file + ": " + what);
  }
}
