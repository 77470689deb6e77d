package rlhf4j.policy.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.Test;

class EnginesTest {
  @Test
  void configurePutsAWaitPolicyIntoTheNativeEnvironment() {
    Engines.configure(0);
    String policy = Engines.passiveWaitPolicy();
    assertNotNull(policy, "libc getenv/setenv not reachable through JNA");
    String fromLauncher = System.getenv(Engines.WAIT_POLICY);
    // the user's own setting wins; otherwise PASSIVE
    assertEquals(fromLauncher == null ? "PASSIVE" : fromLauncher, policy);
    assertEquals("true", System.getProperty("ai.djl.offline"));
  }

  @Test
  void apiClassesApplyTheDefaultsWithoutTouchingSystemProperties() throws Exception {
    String threads = System.getProperty("ai.djl.pytorch.num_threads");
    Class.forName("rlhf4j.policy.tokenizer.Tokenizer", true, getClass().getClassLoader());
    assertEquals(true, Engines.defaultsApplied());
    assertEquals(threads, System.getProperty("ai.djl.pytorch.num_threads"));
  }
}
