package rlhf4j.cli.bench;

import picocli.CommandLine.Option;

/**
 * The prompt and completion lengths of the benchmarks that generate ({@code bench generate}, {@code
 * ppo}, {@code grpo}); a picocli mixin.
 */
public final class LengthOptions {
  @Option(
      names = "--prompt-len",
      paramLabel = "TOKENS",
      defaultValue = "32",
      description =
          "longest prompt in tokens; the others are shorter, down to a half (default:"
              + " ${DEFAULT-VALUE})")
  int promptLen;

  @Option(
      names = "--new-tokens",
      paramLabel = "TOKENS",
      defaultValue = "32",
      description = "tokens generated per completion at most (default: ${DEFAULT-VALUE})")
  int newTokens;
}
