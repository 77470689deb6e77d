package rlhf4j.policy.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a training run: step i of n, elapsed time, rate and an estimate of the time left,
 * plus a caller's message (e.g. the loss). Live mode redraws one line in place with a carriage
 * return (a console), at most every 100 ms and always on the last step; otherwise {@link #line}
 * gives the same text for a log line. Used by the SFT, reward-model and PPO commands and the
 * quickstart.
 */
public final class ProgressReporter implements AutoCloseable {
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

  /**
   * A reporter of {@code total} steps.
   *
   * @param out where the live line is drawn (usually stderr)
   * @param label the phase, e.g. {@code "sft"}
   * @param live redraw a bar in place; false: {@link #update} draws nothing
   */
  public ProgressReporter(PrintStream out, String label, long total, boolean live) {
    if (total < 1) {
      throw new IllegalArgumentException("total must be >= 1, got " + total);
    }
    this.out = out;
    this.label = label;
    this.total = total;
    this.live = live;
  }

  /** The number of steps of the run. */
  public long total() {
    return total;
  }

  /** Seconds since the reporter was created. */
  public double elapsedSeconds() {
    return (System.nanoTime() - start) / 1e9;
  }

  /** Redraws the live bar for {@code done} of {@code total} steps with an optional message. */
  public void update(long done, String message) {
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

  /**
   * A log line for {@code done} of {@code total} steps: {@code "step 12/30 (40%) 3.1 step/s eta 6s
   * message"}.
   */
  public String line(long done, String message) {
    double seconds = elapsedSeconds();
    long clamped = Math.max(0, Math.min(done, total));
    StringBuilder sb =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "step %d/%d (%d%%)",
                clamped,
                total,
                Math.round(100.0 * clamped / total)));
    if (clamped > 0 && seconds > 0) {
      sb.append(String.format(Locale.ROOT, " %s", rate(clamped / seconds)));
    }
    if (clamped > 0 && clamped < total) {
      sb.append(" eta ").append(time(seconds / clamped * (total - clamped)));
    }
    if (message != null && !message.isEmpty()) {
      sb.append("  ").append(message);
    }
    return sb.toString();
  }

  /** Ends the live bar's line (when one was drawn). */
  @Override
  public void close() {
    if (live && drawn) {
      out.println();
      out.flush();
    }
  }

  /** The bar's text for {@code done} of {@code total} after {@code seconds}. */
  public static String render(long done, long total, double seconds, String label, String message) {
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

  /** {@code 42s} or {@code 3m07s}. */
  public static String time(double seconds) {
    long s = Math.round(seconds);
    return s < 60
        ? String.format(Locale.ROOT, "%ds", s)
        : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }

  private static String rate(double perSecond) {
    return perSecond >= 1
        ? String.format(Locale.ROOT, "%.1f step/s", perSecond)
        : String.format(Locale.ROOT, "%.1f s/step", 1 / perSecond);
  }
}
