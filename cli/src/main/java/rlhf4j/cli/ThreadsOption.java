package rlhf4j.cli;

import picocli.CommandLine.Option;
import rlhf4j.policy.train.Engines;

/**
 * {@code --threads N}, on every command: libtorch's intra-op thread count. The default (0) keeps
 * the engine's own (one per core) with a passive OpenMP wait policy, which a busy machine does not
 * slow down; lower it when other jobs share the machine. Applied before the engine loads.
 */
public final class ThreadsOption {
  /** The option's description, also quoted in the README. */
  static final String DESCRIPTION =
      "libtorch intra-op threads; 0 = one per core, with a passive OpenMP wait policy so a"
          + " busy machine does not slow it down (default: ${DEFAULT-VALUE})";

  @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = DESCRIPTION)
  void setThreads(int threads) {
    if (threads < 0) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "--threads must be >= 0, got " + threads);
    }
    if (threads > 0) {
      Engines.configure(threads);
    }
  }
}
