package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@code rlhf4j spark master|worker}: help and argument checks (the cluster itself is tested in the
 * distributed module's StandaloneClusterTest).
 */
class SparkCommandTest {
  @Test
  void helpListsMasterAndWorker() {
    CliRun.Result r = CliRun.run("spark", "--help");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("master") && r.out().contains("worker"), r.out());
    assertTrue(r.out().contains("no authentication"), r.out());
  }

  @Test
  void aWorkerNeedsASparkUrl() {
    CliRun.Result r = CliRun.run("spark", "worker", "http://10.0.0.1:7077");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("spark://HOST:PORT"), r.err());
  }
}
