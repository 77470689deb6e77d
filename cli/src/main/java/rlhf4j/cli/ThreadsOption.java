package rlhf4j.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;
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

  /** Parses a thread count, refusing negative ones. */
  static final class Count implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      int n;
      try {
        n = Integer.parseInt(value.strip());
      } catch (NumberFormatException e) {
        throw new TypeConversionException("'" + value + "' is not a whole number");
      }
      if (n < 0) {
        throw new TypeConversionException("must be >= 0, got " + n);
      }
      return n;
    }
  }

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "0",
      converter = Count.class,
      description = DESCRIPTION)
  void setThreads(int threads) {
    if (threads > 0) {
      Engines.configure(threads);
    }
  }
}
