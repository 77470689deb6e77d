package rlhf4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import rlhf4j.cli.bench.BenchCommand;
import rlhf4j.cli.config.VersionProvider;
import rlhf4j.cli.plot.PlotCommand;
import rlhf4j.policy.train.Engines;

/** The {@code rlhf4j} command line. */
@Command(
    name = "rlhf4j",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "RLHF with LoRA adapters and PPO on the JVM (DJL / PyTorch, offline).",
    footer = {
      "",
      "Exit codes:",
      "  0  done",
      "  2  bad usage or bad input (options, config, data or model files)",
      "  3  training diverged (NaN loss) or the reward failed; checkpoints are intact",
      "  4  reading or writing a file failed (the message names the path)",
      "  1  an internal error (please report it with the stack trace)",
      "Run `rlhf4j help COMMAND` for a command's options."
    },
    subcommands = {
      CommandLine.HelpCommand.class,
      QuickstartCommand.class,
      LogitsCommand.class,
      GenerateCommand.class,
      MergeCommand.class,
      SftCommand.class,
      TrainRewardCommand.class,
      PpoCommand.class,
      GrpoCommand.class,
      RlooCommand.class,
      DpoCommand.class,
      PlotCommand.class,
      BenchCommand.class,
      SparkCommand.class
    })
public final class Rlhf4jCli implements Runnable {
  /** The exit codes, as each command's help footer lists them. */
  static final String[] EXIT_CODES = {
    "",
    "Exit codes: 0 done; 2 bad usage or input; 3 training diverged or the reward",
    "failed; 4 a file could not be read or written (the path is named); 1 an",
    "internal error."
  };

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Runs the CLI and returns its exit code (tests call this; only {@link #main} exits). */
  public static int run(String... args) {
    LogDefaults.apply(); // before the first logger is created
    Engines.configure(Integer.getInteger("rlhf4j.threads", 0));
    return commandLine().execute(args);
  }

  /** The command tree as {@link #run} executes it (tests render every command's help). */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Rlhf4jCli());
    addThreadsOption(cli);
    cli.setExecutionExceptionHandler(new ExitCodes.Handler());
    WholeWordHelp.install(cli); // after the mixins: wraps help lines at spaces only
    return cli;
  }

  /**
   * Adds {@code --threads} to every command that runs a model and has none of its own, and the exit
   * codes to every help without a footer (all but {@code help}).
   */
  private static void addThreadsOption(CommandLine cmd) {
    for (CommandLine sub : cmd.getSubcommands().values()) {
      if (sub.getCommand() instanceof CommandLine.HelpCommand) {
        continue;
      }
      String[] footer = sub.getCommandSpec().usageMessage().footer();
      if (!String.join("\n", footer).contains("Exit codes")) {
        String[] withCodes = java.util.Arrays.copyOf(footer, footer.length + EXIT_CODES.length);
        System.arraycopy(EXIT_CODES, 0, withCodes, footer.length, EXIT_CODES.length);
        sub.getCommandSpec().usageMessage().footer(withCodes);
      }
      if (!sub.getSubcommands().isEmpty()) {
        addThreadsOption(sub);
      } else if (sub.getCommandSpec().findOption("--threads") == null
          && !(sub.getCommand() instanceof PlotCommand)) { // plot runs no model
        sub.addMixin("threads", new ThreadsOption());
      }
    }
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }
}
