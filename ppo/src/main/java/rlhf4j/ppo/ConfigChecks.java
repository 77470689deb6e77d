package rlhf4j.ppo;

/**
 * The field checks the trainer configs' compact constructors share. Each throws {@link
 * IllegalArgumentException} with a message that names the field, the rule and the value ({@code
 * "temperature must be finite and > 0, got 0.0"}), optionally followed by {@code "; "} and a hint.
 */
public final class ConfigChecks {
  private ConfigChecks() {}

  /** {@code value >= min}. */
  public static void atLeast(String field, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(field + " must be >= " + min + ", got " + value);
    }
  }

  /** A finite {@code value > 0}. */
  public static void positive(String field, double value) {
    positive(field, value, null);
  }

  /** A finite {@code value > 0}; {@code hint} (or null) follows the message. */
  public static void positive(String field, double value, String hint) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(
          withHint(field + " must be finite and > 0, got " + value, hint));
    }
  }

  /** A finite {@code value >= 0}. */
  public static void nonNegative(String field, double value) {
    nonNegative(field, value, null);
  }

  /** A finite {@code value >= 0}; {@code hint} (or null) follows the message. */
  public static void nonNegative(String field, double value, String hint) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(
          withHint(field + " must be finite and >= 0, got " + value, hint));
    }
  }

  /** A clip range in {@code [0, 1)} (TRL's {@code epsilon}). */
  public static void clip(String field, double value) {
    if (!(value >= 0 && value < 1)) {
      throw new IllegalArgumentException(field + " must be in [0, 1), got " + value);
    }
  }

  private static String withHint(String message, String hint) {
    return hint == null ? message : message + "; " + hint;
  }
}
