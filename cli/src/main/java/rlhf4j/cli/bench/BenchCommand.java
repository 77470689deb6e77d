package rlhf4j.cli.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code rlhf4j bench ...}: benchmarks that print JSON. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Benchmarks that print JSON (compare with the PyTorch yardstick reference_ppo.py).",
    subcommands = {ForwardBench.class, GenerateBench.class, PpoBench.class, GrpoBench.class})
public final class BenchCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "choose a benchmark: forward, generate, ppo, grpo");
  }
}
