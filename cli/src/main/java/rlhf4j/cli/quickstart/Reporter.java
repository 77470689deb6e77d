package rlhf4j.cli.quickstart;

import java.io.PrintStream;
import java.util.Locale;
import rlhf4j.policy.train.ProgressReporter;

/**
 * The quickstart's console: concise log lines on stdout and progress bars on stderr. Quiet prints
 * nothing but {@link #result}; bars are drawn only when a console is attached.
 */
final class Reporter {
  private final PrintStream out;
  private final PrintStream err;
  private final boolean quiet;
  private final boolean interactive;

  Reporter(PrintStream out, PrintStream err, boolean quiet, boolean interactive) {
    this.out = out;
    this.err = err;
    this.quiet = quiet;
    this.interactive = interactive;
  }

  /** stdout/stderr; bars only when {@code System.console()} exists. */
  static Reporter system(boolean quiet) {
    return new Reporter(System.out, System.err, quiet, System.console() != null);
  }

  /** A log line (not in quiet mode). */
  void log(String format, Object... args) {
    if (!quiet) {
      out.println(String.format(Locale.ROOT, format, args));
      out.flush();
    }
  }

  /** A line printed even in quiet mode. */
  void result(String format, Object... args) {
    out.println(String.format(Locale.ROOT, format, args));
    out.flush();
  }

  /** A progress bar on stderr, live only on a console and when not quiet. */
  ProgressReporter bar(String label, long total) {
    return new ProgressReporter(err, label, total, interactive && !quiet);
  }

  /**
   * Whether a step's line should be logged when no bar is drawn: about ten lines per phase, so that
   * a CI log still shows the run's course.
   */
  boolean logStep(long step, long total) {
    return !quiet && !interactive && (step == total || step % Math.max(1, total / 10) == 0);
  }
}
