package rlhf4j.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.Rollout;
import rlhf4j.testing.LocalPorts;

/**
 * A real standalone cluster on 127.0.0.1: Spark's own Master and two Worker JVMs (one core each),
 * started from the test classpath; each worker launches its executor JVM. A rollout step runs on
 * both executors; in the next step one worker and its executor are killed while their task runs,
 * and the step still completes, with the same rows as the local source.
 */
@Timeout(150)
class StandaloneClusterTest {
  @TempDir static Path tmp;
  static final List<Process> processes = new ArrayList<>();
  static Process workerA;
  static Process workerB;
  static JavaSparkContext spark;
  static Path markers;

  /**
   * While {@code <markers>/armed} exists: records this executor's pid in {@code <markers>} and
   * sleeps, so the test can kill it mid-task; then scores like {@link
   * SparkRolloutSourceTest.LengthScore}.
   */
  public static final class Stalling implements RewardFunction {
    private final Path dir;

    public Stalling(java.util.Map<String, String> options) {
      this.dir = Path.of(options.get("markers"));
    }

    @Override
    public float[] score(List<Sample> batch) {
      try {
        if (Files.exists(dir.resolve("armed"))) {
          Files.writeString(
              dir.resolve("pid-" + ProcessHandle.current().pid()),
              "",
              java.nio.charset.StandardCharsets.UTF_8);
          for (int i = 0; i < 100 && Files.exists(dir.resolve("armed")); i++) {
            Thread.sleep(100);
          }
        }
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return new SparkRolloutSourceTest.LengthScore().score(batch);
    }
  }

  @BeforeAll
  static void startCluster() throws Exception {
    SparkRolloutSourceTest.modelDir = tmp.resolve("nano");
    try (CausalLM m = Presets.create("nano", 1)) {
      HfCheckpoint.save(m, SparkRolloutSourceTest.modelDir);
    }
    markers = Files.createDirectories(tmp.resolve("markers"));
    Path home = tmp.resolve("spark-home");
    int masterPort = LocalPorts.free();
    processes.add(
        start(
            StandaloneLauncher.master(
                "127.0.0.1", masterPort, LocalPorts.free(), home, log("master"))));
    LocalPorts.await(masterPort, 60, "the master");
    String url = "spark://127.0.0.1:" + masterPort;
    workerA = start(worker(url, "a", home));
    workerB = start(worker(url, "b", home));
    processes.add(workerA);
    processes.add(workerB);
    List<String> dirs = StandaloneLauncher.classpathDirectories();
    SparkConf conf =
        SparkRolloutSource.conf(url)
            .set("spark.driver.host", "127.0.0.1")
            .set("spark.executor.extraClassPath", String.join(File.pathSeparator, dirs))
            .set(
                "spark.executor.extraJavaOptions",
                "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1"
                    + " -Dai.djl.pytorch.num_interop_threads=1"
                    + " -Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
            .set("spark.executor.memory", "768m")
            .set("spark.cores.max", "2")
            .set("spark.scheduler.minRegisteredResourcesRatio", "1.0")
            .set("spark.scheduler.maxRegisteredResourcesWaitingTime", "60s");
    spark = new JavaSparkContext(conf);
    SparkRolloutSourceTest.spark = spark; // the Driver helper's context
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (spark.sc().getExecutorMemoryStatus().size() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(200); // the driver and two executors
    }
    assertEquals(3, spark.sc().getExecutorMemoryStatus().size(), "two executors registered");
  }

  private static ProcessBuilder worker(String url, String name, Path home) throws IOException {
    return StandaloneLauncher.worker(
        url, "127.0.0.1", 1, "1g", LocalPorts.free(), tmp.resolve("work-" + name), home, log(name));
  }

  private static Process start(ProcessBuilder pb) throws IOException {
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb.start();
  }

  private static Path log(String name) {
    return tmp.resolve(name + ".log");
  }

  @AfterAll
  static void stopCluster() {
    if (spark != null) {
      spark.stop();
      SparkRolloutSourceTest.spark = null;
    }
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    ExecutorPolicy.clearAll();
  }

  @Test
  void aStepSurvivesLosingAWorkerAndGivesTheSameRows() throws Exception {
    List<long[]> prompts = SparkRolloutSourceTest.prompts(4, 9);
    RewardSpec reward =
        new RewardSpec(Stalling.class.getName(), java.util.Map.of("markers", markers.toString()));
    try (SparkRolloutSourceTest.Driver d = new SparkRolloutSourceTest.Driver()) {
      SparkRolloutSource source = d.spark(reward, 2);
      source.rollout(prompts, 0);
      assertEquals(2, source.lastStep().executors(), "both executors ran a task");

      Rollout expected = d.local().rollout(prompts, 1);
      Files.writeString(markers.resolve("armed"), "");
      CompletableFuture<Rollout> step =
          CompletableFuture.supplyAsync(() -> source.rollout(prompts, 1));
      long pid = awaitExecutorPid(60);
      ProcessHandle executor = ProcessHandle.of(pid).orElseThrow();
      ProcessHandle worker = executor.parent().orElseThrow();
      worker.destroyForcibly();
      executor.destroyForcibly();
      Files.delete(markers.resolve("armed"));
      Rollout r = step.get(90, TimeUnit.SECONDS);
      for (int i = 0; i < prompts.size(); i++) {
        assertArrayEquals(expected.responses().get(i), r.responses().get(i), "prompt " + i);
        float[] e = expected.logProbs().get(i);
        for (int t = 0; t < e.length; t++) {
          assertEquals(e[t], r.logProbs().get(i)[t], 1e-6, "prompt " + i + " token " + t);
        }
      }
      assertTrue(
          worker.pid() == workerA.pid() || worker.pid() == workerB.pid(),
          "the killed process was one of the workers");
    }
  }

  private static long awaitExecutorPid(int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      try (Stream<Path> s = Files.list(markers)) {
        var pid =
            s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("pid-")).findFirst();
        if (pid.isPresent()) {
          return Long.parseLong(pid.get().substring(4));
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no executor started a task within " + seconds + " s");
  }
}
