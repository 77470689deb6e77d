package rlhf4j.policy.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UpdateMemoryTest {
  @Test
  void releasesUnlessThePropertyTurnsItOff() {
    String before = System.getProperty(UpdateMemory.PROPERTY);
    try {
      System.clearProperty(UpdateMemory.PROPERTY);
      assertTrue(UpdateMemory.releaseBeforeUpdate());
      System.setProperty(UpdateMemory.PROPERTY, "false");
      assertFalse(UpdateMemory.releaseBeforeUpdate());
      System.setProperty(UpdateMemory.PROPERTY, "true");
      assertTrue(UpdateMemory.releaseBeforeUpdate());
    } finally {
      if (before == null) {
        System.clearProperty(UpdateMemory.PROPERTY);
      } else {
        System.setProperty(UpdateMemory.PROPERTY, before);
      }
    }
  }
}
