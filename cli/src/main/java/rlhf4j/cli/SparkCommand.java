package rlhf4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import rlhf4j.distributed.StandaloneLauncher;

/**
 * {@code rlhf4j spark master|worker}: Spark's own standalone master and worker, started from the
 * rlhf4j jar (no Spark distribution needed), for {@code --spark-master spark://HOST:PORT} runs.
 */
@Command(
    name = "spark",
    mixinStandardHelpOptions = true,
    description = {
      "Start a Spark standalone master or worker from this jar (rollouts on several machines).",
      "Spark's standalone mode has no authentication by default: keep the cluster on a private"
          + " network, and bind to 127.0.0.1 (the default) unless other machines must join.",
    },
    subcommands = {SparkCommand.Master.class, SparkCommand.Worker.class})
public final class SparkCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Runs the child JVM until it ends; stopping this process (Ctrl-C, kill) stops it too. */
  static int runChild(ProcessBuilder pb) throws Exception {
    Process child = pb.start();
    Thread stop = new Thread(child::destroy, "stop-spark-child");
    Runtime.getRuntime().addShutdownHook(stop);
    try {
      return child.waitFor();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(stop);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running already
      }
    }
  }

  /** {@code rlhf4j spark master}. */
  @Command(
      name = "master",
      mixinStandardHelpOptions = true,
      description = "Run Spark's standalone master until stopped (Ctrl-C).")
  static final class Master implements Callable<Integer> {
    @Option(
        names = "--host",
        defaultValue = "127.0.0.1",
        description =
            "address to bind; a LAN address for a multi-machine cluster (default"
                + " ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "7077", description = "default ${DEFAULT-VALUE}")
    int port;

    @Option(
        names = "--webui-port",
        defaultValue = "8080",
        description = "the master's status page (default ${DEFAULT-VALUE})")
    int webUiPort;

    @Override
    public Integer call() throws Exception {
      Path home = Files.createTempDirectory("rlhf4j-spark-home-");
      System.err.printf("rlhf4j spark master: spark://%s:%d%n", host, port);
      return runChild(StandaloneLauncher.master(host, port, webUiPort, home, null));
    }
  }

  /** {@code rlhf4j spark worker URL}. */
  @Command(
      name = "worker",
      mixinStandardHelpOptions = true,
      description = "Run a Spark standalone worker that joins MASTER_URL until stopped (Ctrl-C).")
  static final class Worker implements Callable<Integer> {
    @Parameters(paramLabel = "MASTER_URL", description = "e.g. spark://10.0.0.1:7077")
    String masterUrl;

    @Option(names = "--cores", description = "cores for executors (default: all of this machine's)")
    Integer cores;

    @Option(
        names = "--memory",
        defaultValue = "2g",
        description = "memory for executors (default ${DEFAULT-VALUE})")
    String memory;

    @Option(
        names = "--host",
        defaultValue = "127.0.0.1",
        description =
            "address to bind; this machine's LAN address in a multi-machine cluster"
                + " (default ${DEFAULT-VALUE})")
    String host;

    @Option(
        names = "--webui-port",
        defaultValue = "8081",
        description = "the worker's status page (default ${DEFAULT-VALUE})")
    int webUiPort;

    @Option(
        names = "--work-dir",
        defaultValue = "spark-work",
        description = "executor logs and scratch files (default ${DEFAULT-VALUE})")
    Path workDir;

    @Override
    public Integer call() throws Exception {
      if (!masterUrl.startsWith("spark://")) {
        throw new IllegalArgumentException(
            "MASTER_URL must look like spark://HOST:PORT, got '" + masterUrl + "'");
      }
      int n = cores != null ? cores : Runtime.getRuntime().availableProcessors();
      Path home = Files.createTempDirectory("rlhf4j-spark-home-");
      ProcessBuilder pb =
          StandaloneLauncher.worker(masterUrl, host, n, memory, webUiPort, workDir, home, null);
      return runChild(pb);
    }
  }
}
