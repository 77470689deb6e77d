package rlhf4j.policy.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EnginesTest {
  @Test
  void configureKeepsTheUsersPolicyOrChoosesOneForTheLoad() {
    Engines.configure(0);
    String policy = Engines.passiveWaitPolicy();
    String fromLauncher = System.getenv(Engines.WAIT_POLICY);
    if (fromLauncher != null) {
      assertEquals(fromLauncher, policy); // the user's own setting wins
    } else {
      assertTrue(policy == null || policy.equals("PASSIVE"), "policy " + policy);
    }
    assertEquals("true", System.getProperty("ai.djl.offline"));
  }

  @Test
  void passiveWaitOnlyWhenOtherProcessesHoldHalfACore() {
    assertFalse(Engines.needsPassiveWait(0.0));
    assertFalse(Engines.needsPassiveWait(0.3));
    assertTrue(Engines.needsPassiveWait(0.5));
    assertTrue(Engines.needsPassiveWait(1.0));
  }

  @Test
  void aBusyLoopInAnotherProcessIsSeenAsACoreOfOtherLoad() throws Exception {
    Process spin = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
    try {
      Thread.sleep(200);
      double others = Engines.otherProcessesCores(java.time.Duration.ofMillis(400));
      assertTrue(others > 0.5, "a spinning shell counted as " + others + " cores");
    } finally {
      spin.destroyForcibly().waitFor();
    }
  }

  @Test
  void apiClassesApplyTheDefaultsWithoutTouchingSystemProperties() throws Exception {
    String threads = System.getProperty("ai.djl.pytorch.num_threads");
    Class.forName("rlhf4j.policy.tokenizer.Tokenizer", true, getClass().getClassLoader());
    assertEquals(true, Engines.defaultsApplied());
    assertEquals(threads, System.getProperty("ai.djl.pytorch.num_threads"));
  }
}
