package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.distributed.StandaloneLauncher;
import rlhf4j.testing.LocalPorts;

/**
 * {@code spark-submit} of rlhf4j against a running standalone cluster, the way Spark's {@code
 * bin/spark-submit} does it: {@code java -cp "$SPARK_HOME/jars/*"
 * org.apache.spark.deploy.SparkSubmit --master spark://... --class rlhf4j.cli.Rlhf4jCli APP.jar ppo
 * ...} in client mode. A real Master and one Worker JVM run on 127.0.0.1 from the test classpath
 * ({@link StandaloneLauncher}); {@code SPARK_HOME/jars} keeps only the third-party jars, so the
 * rlhf4j classes reach the driver only through SparkSubmit's loader of the application jar and the
 * executor only by fetching that jar ({@code spark.jars}). The application jar is rlhf4j's own
 * classes (the modules' build output); the shaded {@code rlhf4j.jar} is that plus the third-party
 * jars, which it is not built from until the package phase, after this test.
 */
@Timeout(240)
class SparkSubmitTest {
  @TempDir Path tmp;
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void stop() {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  @Test
  void sparkSubmitRunsPpoFromTheApplicationJarOnAStandaloneCluster() throws Exception {
    Path home = tmp.resolve("spark-home");
    int masterPort = LocalPorts.free();
    start(
        StandaloneLauncher.master("127.0.0.1", masterPort, LocalPorts.free(), home, log("master")));
    LocalPorts.await(masterPort, 60, "the master");
    String url = "spark://127.0.0.1:" + masterPort;
    Path work = tmp.resolve("work");
    start(
        StandaloneLauncher.worker(
            url, "127.0.0.1", 1, "1g", LocalPorts.free(), work, home, log("worker")));
    Path repo = Path.of("").toAbsolutePath().getParent();
    Path app = applicationJar(repo, tmp.resolve("rlhf4j-app.jar"));
    removeRlhf4jJars(home.resolve("jars"), repo); // executors launch later, from what is left

    Path run = tmp.resolve("run");
    Path cfg = tmp.resolve("ppo.yaml");
    Files.writeString(cfg, PpoCommandTest.yaml(run, 1, PpoCommandTest.LENGTH));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx1g");
    cmd.addAll(List.of(JavaModuleOptions.defaultModuleOptionArray()));
    cmd.addAll(
        List.of(
            "-Dai.djl.offline=true",
            "-Dai.djl.pytorch.num_threads=1",
            "-Dai.djl.pytorch.num_interop_threads=1",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-cp",
            home.resolve("jars").toAbsolutePath() + File.separator + "*",
            "org.apache.spark.deploy.SparkSubmit",
            "--master",
            url,
            "--deploy-mode",
            "client",
            "--class",
            "rlhf4j.cli.Rlhf4jCli",
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.executor.memory=768m",
            app.toString(),
            "ppo",
            "--config",
            cfg.toString(),
            "--spark-master",
            url));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("SPARK_HOME", home.toAbsolutePath().toString());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("OPT_OUT_TRACKING", "true");
    pb.redirectErrorStream(true);
    pb.redirectOutput(log("driver").toFile());
    Process driver = start(pb);
    boolean done = driver.waitFor(150, TimeUnit.SECONDS);
    String out = Files.readString(log("driver"));
    assertTrue(done, "spark-submit did not finish in 150 s:\n" + out);
    assertEquals(0, driver.exitValue(), out);
    assertTrue(out.contains("rollouts on Spark " + url + ": 1 executor(s)"), out);
    JsonObject step = PolicyCommandsTest.line(run.resolve("metrics.jsonl"), 0);
    assertEquals(1.0, step.get("distributed/executors").getAsDouble(), step.toString());
    assertTrue(Files.isRegularFile(run.resolve("final/adapter_model.safetensors")));
    // the executor ran rlhf4j's classes from the application jar it fetched from the driver
    try (Stream<Path> files = Files.walk(work)) {
      assertTrue(
          files.anyMatch(p -> p.getFileName().toString().equals(app.getFileName().toString())),
          "the executor fetched " + app.getFileName() + " into " + work);
    }
  }

  /**
   * rlhf4j's classes, from the classpath entries inside the repository (module class folders, or
   * module jars when the reactor packaged them), test classes excluded; service files merged.
   */
  private static Path applicationJar(Path repo, Path jar) throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    for (String entry : StandaloneLauncher.classpath().split(File.pathSeparator)) {
      Path p = Path.of(entry).toAbsolutePath();
      if (entry.isEmpty() || !p.startsWith(repo) || entry.contains("test-classes")) {
        continue;
      }
      if (Files.isDirectory(p)) {
        try (Stream<Path> files = Files.walk(p)) {
          for (Path f : files.filter(Files::isRegularFile).toList()) {
            add(entries, p.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
          }
        }
      } else if (entry.endsWith(".jar") && Files.isRegularFile(p)) {
        try (JarFile j = new JarFile(p.toFile())) {
          for (Enumeration<JarEntry> e = j.entries(); e.hasMoreElements(); ) {
            JarEntry je = e.nextElement();
            if (!je.isDirectory()) {
              try (InputStream in = j.getInputStream(je)) {
                add(entries, je.getName(), in.readAllBytes());
              }
            }
          }
        }
      }
    }
    assertTrue(entries.containsKey("rlhf4j/cli/Rlhf4jCli.class"), "cli's classes found");
    assertTrue(
        entries.containsKey("rlhf4j/distributed/RolloutTask.class"), "distributed's classes found");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
    try (OutputStream os = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(os, manifest)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        out.putNextEntry(new JarEntry(e.getKey()));
        out.write(e.getValue());
        out.closeEntry();
      }
    }
    return jar;
  }

  private static void add(Map<String, byte[]> entries, String name, byte[] bytes) {
    if (name.equalsIgnoreCase("META-INF/MANIFEST.MF")) {
      return;
    }
    byte[] old = entries.get(name);
    if (old != null && name.startsWith("META-INF/services/")) {
      ByteArrayOutputStream merged = new ByteArrayOutputStream();
      merged.writeBytes(old);
      merged.writeBytes("\n".getBytes(StandardCharsets.UTF_8));
      merged.writeBytes(bytes);
      entries.put(name, merged.toByteArray());
    } else if (old == null) {
      entries.put(name, bytes);
    }
  }

  /** Drops the links to rlhf4j's own jars from {@code SPARK_HOME/jars} (a reactor build's). */
  private static void removeRlhf4jJars(Path jars, Path repo) throws IOException {
    try (Stream<Path> links = Files.list(jars)) {
      for (Path link : links.toList()) {
        if (Files.isSymbolicLink(link)
            && Files.readSymbolicLink(link).toAbsolutePath().startsWith(repo)) {
          Files.delete(link);
        }
      }
    }
    try (Stream<Path> left = Files.list(jars)) {
      assertFalse(
          left.anyMatch(p -> p.getFileName().toString().startsWith("cli")), "no rlhf4j jar left");
    }
  }

  private Process start(ProcessBuilder pb) throws IOException {
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private Path log(String name) {
    return tmp.resolve(name + ".log");
  }
}
