package rlhf4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.reward.RewardException;

/**
 * The exit codes every command keeps (documented in the README and {@code rlhf4j --help}), and the
 * handler that maps a command's exception to one with a one-line message instead of a stack trace.
 */
public final class ExitCodes {
  /** The command did what was asked. */
  public static final int OK = 0;

  /** Unexpected internal error (a bug: please report it with the stack trace). */
  public static final int SOFTWARE = 1;

  /** Bad usage (unknown option, missing argument) or bad input (config, data, model files). */
  public static final int USAGE = 2;

  /** Training diverged (NaN/Inf loss or reward) or the reward failed; checkpoints are intact. */
  public static final int DIVERGED = 3;

  /** Reading or writing a file failed (unwritable folder, full disk...); the path is named. */
  public static final int IO = 4;

  private ExitCodes() {}

  /** Maps exceptions to exit codes, printing one line that names the command. */
  static final class Handler implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed)
        throws Exception {
      PrintWriter err = cmd.getErr();
      String who = "rlhf4j " + cmd.getCommandName() + ": ";
      int code = codeOf(e);
      if (code == SOFTWARE) {
        throw e;
      }
      err.println(who + message(e));
      err.flush();
      return code;
    }
  }

  /** The exit code for an exception a command threw (SOFTWARE when it is not an expected one). */
  static int codeOf(Throwable e) {
    if (e instanceof DivergenceException || e instanceof RewardException) {
      return DIVERGED;
    }
    if (e instanceof NoSuchFileException
        || e instanceof NotDirectoryException
        || e instanceof FileSystemLoopException) {
      return USAGE; // a path the user gave does not exist or is the wrong kind
    }
    if (e instanceof IOException) {
      return IO;
    }
    if (e instanceof UncheckedIOException u) {
      return codeOf(u.getCause());
    }
    if (e instanceof IllegalArgumentException
        || e instanceof IllegalStateException
        || e instanceof CheckpointException) {
      return USAGE;
    }
    return SOFTWARE;
  }

  /** A one-line message that names the path of a file-system error. */
  static String message(Throwable e) {
    if (e instanceof UncheckedIOException u && u.getCause() != null) {
      String outer = u.getMessage();
      boolean own = outer != null && !outer.equals(u.getCause().toString());
      return own ? outer + ": " + message(u.getCause()) : message(u.getCause());
    }
    if (e instanceof FileSystemException f) {
      String what;
      if (f.getReason() != null) {
        what = f.getReason();
      } else if (f instanceof AccessDeniedException) {
        what = "permission denied";
      } else if (f instanceof NoSuchFileException) {
        what = "no such file or folder";
      } else if (f instanceof NotDirectoryException) {
        what = "not a folder";
      } else if (f instanceof FileAlreadyExistsException) {
        what = "already exists";
      } else if (f instanceof DirectoryNotEmptyException) {
        what = "folder not empty";
      } else if (f instanceof FileSystemLoopException) {
        what = "symbolic link loop";
      } else {
        what = f.getClass().getSimpleName();
      }
      String path = f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "");
      return path + ": " + what;
    }
    if (e instanceof IOException && e.getMessage() == null) {
      return e.getClass().getSimpleName();
    }
    return e.getMessage();
  }
}
