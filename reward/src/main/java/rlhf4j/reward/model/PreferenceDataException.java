package rlhf4j.reward.model;

import java.nio.file.Path;

/** A preference data file is malformed; the message names the file, the line and the field. */
public class PreferenceDataException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final int line;
  private final String field;

  /**
   * An error at {@code file:line} about {@code field}.
   *
   * @param line 1-based line number, 0 for the whole file
   * @param field the JSON field at fault, or null
   */
  public PreferenceDataException(Path file, int line, String field, String problem) {
    super(
        file
            + (line > 0 ? ":" + line : "")
            + ": "
            + (field != null ? "field '" + field + "' " : "")
            + problem);
    this.file = file;
    this.line = line;
    this.field = field;
  }

  /** The data file. */
  public Path file() {
    return file;
  }

  /** 1-based line number, 0 when the problem concerns the whole file. */
  public int line() {
    return line;
  }

  /** The JSON field at fault, or null. */
  public String field() {
    return field;
  }
}
