package rlhf4j.cli.quickstart;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar redrawn in place with a carriage return: label, bar, count, elapsed time,
 * an estimate of the time left and a caller's message (e.g. the loss). Silent unless {@code live};
 * redraws at most every 100 ms, and always on the last step.
 */
final class ProgressBar implements AutoCloseable {
  private static final int WIDTH = 24;
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintStream out;
  private final String label;
  private final long total;
  private final boolean live;
  private final long start = System.nanoTime();
  private long lastDraw;
  private int lastLength;
  private boolean drawn;

  ProgressBar(PrintStream out, String label, long total, boolean live) {
    if (total < 1) {
      throw new IllegalArgumentException("total must be >= 1, got " + total);
    }
    this.out = out;
    this.label = label;
    this.total = total;
    this.live = live;
  }

  /** Reports {@code done} of {@code total} units with an optional message. */
  void update(long done, String message) {
    if (!live) {
      return;
    }
    long now = System.nanoTime();
    if (drawn && done < total && now - lastDraw < REDRAW_NANOS) {
      return;
    }
    lastDraw = now;
    drawn = true;
    String line = render(done, total, (now - start) / 1e9, label, message);
    StringBuilder sb = new StringBuilder("\r").append(line);
    for (int i = line.length(); i < lastLength; i++) {
      sb.append(' '); // wipe the rest of a longer previous line
    }
    lastLength = line.length();
    out.print(sb);
    out.flush();
  }

  /** Ends the bar's line (when one was drawn). */
  @Override
  public void close() {
    if (live && drawn) {
      out.println();
      out.flush();
    }
  }

  /** The bar's text for {@code done} of {@code total} after {@code seconds}. */
  static String render(long done, long total, double seconds, String label, String message) {
    long clamped = Math.max(0, Math.min(done, total));
    int filled = (int) (WIDTH * clamped / total);
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-14s [", label));
    for (int i = 0; i < WIDTH; i++) {
      sb.append(i < filled ? '#' : '.');
    }
    sb.append(String.format(Locale.ROOT, "] %d/%d %s", clamped, total, time(seconds)));
    if (clamped > 0 && clamped < total) {
      sb.append(" eta ").append(time(seconds / clamped * (total - clamped)));
    }
    if (message != null && !message.isEmpty()) {
      sb.append("  ").append(message);
    }
    return sb.toString();
  }

  static String time(double seconds) {
    long s = Math.round(seconds);
    return s < 60
        ? String.format(Locale.ROOT, "%ds", s)
        : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }
}
