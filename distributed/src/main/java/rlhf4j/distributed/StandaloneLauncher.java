package rlhf4j.distributed;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * Starts Spark's own standalone {@code Master} and {@code Worker} ({@code
 * org.apache.spark.deploy.master.Master}, {@code org.apache.spark.deploy.worker.Worker}) as child
 * JVMs on this JVM's classpath, so a user with only the rlhf4j jar can form a cluster: no Spark
 * distribution needed. A worker launches its executors from {@code SPARK_HOME/jars}; the launcher
 * makes a small {@code SPARK_HOME} whose {@code jars/} links to the jars of this classpath (the one
 * shaded jar, or a build's dependency jars).
 */
public final class StandaloneLauncher {
  private StandaloneLauncher() {}

  /**
   * A child JVM running Spark's master on {@code host:port} (web UI on {@code webUiPort}).
   *
   * @param log where the child's output goes, or null to share this process's output
   */
  public static ProcessBuilder master(String host, int port, int webUiPort, Path home, Path log)
      throws IOException {
    return child(
        home,
        log,
        "org.apache.spark.deploy.master.Master",
        "--host",
        host,
        "--port",
        String.valueOf(port),
        "--webui-port",
        String.valueOf(webUiPort));
  }

  /**
   * A child JVM running a Spark worker that joins {@code masterUrl} with {@code cores} cores and
   * {@code memory} (e.g. {@code 2g}) for executors, keeping its files in {@code workDir}.
   */
  public static ProcessBuilder worker(
      String masterUrl,
      String host,
      int cores,
      String memory,
      int webUiPort,
      Path workDir,
      Path home,
      Path log)
      throws IOException {
    if (cores < 1) {
      throw new IllegalArgumentException("cores must be >= 1, got " + cores);
    }
    return child(
        home,
        log,
        "org.apache.spark.deploy.worker.Worker",
        "--host",
        host,
        "--cores",
        String.valueOf(cores),
        "--memory",
        memory,
        "--webui-port",
        String.valueOf(webUiPort),
        "--work-dir",
        workDir.toAbsolutePath().toString(),
        masterUrl);
  }

  /** This JVM's classpath (under Surefire, the test classpath rather than its booter jar). */
  public static String classpath() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  /** The directories of {@link #classpath()} (executors need them as extra classpath). */
  public static List<String> classpathDirectories() {
    List<String> dirs = new ArrayList<>();
    for (String entry : classpath().split(File.pathSeparator)) {
      if (!entry.isEmpty() && Files.isDirectory(Path.of(entry))) {
        dirs.add(Path.of(entry).toAbsolutePath().toString());
      }
    }
    return dirs;
  }

  /** Makes {@code home/jars/} hold links to every jar of {@link #classpath()}. */
  public static Path sparkHome(Path home) throws IOException {
    Path jars = Files.createDirectories(home.resolve("jars"));
    for (String entry : classpath().split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (entry.endsWith(".jar") && Files.isRegularFile(p)) {
        Path link = jars.resolve(p.getFileName());
        if (!Files.exists(link)) {
          Files.createSymbolicLink(link, p.toAbsolutePath());
        }
      }
    }
    return home;
  }

  private static ProcessBuilder child(Path home, Path log, String main, String... args)
      throws IOException {
    sparkHome(home);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.addAll(List.of(JavaModuleOptions.defaultModuleOptionArray()));
    cmd.add("-cp");
    cmd.add(classpath());
    cmd.add(main);
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("SPARK_HOME", home.toAbsolutePath().toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("OPT_OUT_TRACKING", "true");
    if (log == null) {
      pb.inheritIO();
    } else {
      pb.redirectErrorStream(true);
      pb.redirectOutput(log.toFile());
    }
    return pb;
  }
}
