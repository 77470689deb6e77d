package rlhf4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import rlhf4j.cli.bench.BenchCommand;
import rlhf4j.policy.train.Engines;

/** The {@code rlhf4j} command line. */
@Command(
    name = "rlhf4j",
    mixinStandardHelpOptions = true,
    version = "rlhf4j 0.1.0",
    description = "RLHF with LoRA adapters and PPO on the JVM (DJL / PyTorch, offline).",
    subcommands = {
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
      BenchCommand.class,
      SparkCommand.class
    })
public final class Rlhf4jCli implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Runs the CLI and returns its exit code (tests call this; only {@link #main} exits). */
  public static int run(String... args) {
    Engines.configure(Integer.getInteger("rlhf4j.threads", 0));
    CommandLine cli = new CommandLine(new Rlhf4jCli());
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof IllegalArgumentException
              || e instanceof IllegalStateException
              || e instanceof rlhf4j.policy.io.CheckpointException) {
            cmd.getErr().println("rlhf4j " + cmd.getCommandName() + ": " + e.getMessage());
            return 2;
          }
          throw e;
        });
    return cli.execute(args);
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }
}
