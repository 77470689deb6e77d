package rlhf4j.policy.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JavaHeapTest {
  @Test
  void collectsUnlessThePropertyTurnsItOff() {
    String before = System.getProperty(JavaHeap.PROPERTY);
    try {
      System.clearProperty(JavaHeap.PROPERTY);
      assertTrue(JavaHeap.collectBeforeUpdate());
      System.setProperty(JavaHeap.PROPERTY, "false");
      assertFalse(JavaHeap.collectBeforeUpdate());
      System.setProperty(JavaHeap.PROPERTY, "true");
      assertTrue(JavaHeap.collectBeforeUpdate());
    } finally {
      if (before == null) {
        System.clearProperty(JavaHeap.PROPERTY);
      } else {
        System.setProperty(JavaHeap.PROPERTY, before);
      }
    }
  }
}
