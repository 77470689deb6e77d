package rlhf4j.examples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code rlhf4j} command line. */
@Command(
    name = "rlhf4j",
    mixinStandardHelpOptions = true,
    version = "rlhf4j 0.1.0",
    description = "RLHF with LoRA adapters and PPO on the JVM.")
public final class Rlhf4jCli implements Runnable {
  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new Rlhf4jCli()).execute(args));
  }
}
