package rlhf4j.policy.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NativeMemoryTest {
  @Test
  void aUsersMallocTunablesWin() {
    assertTrue(NativeMemory.userTunesMalloc(Map.of("MALLOC_ARENA_MAX_", "2")));
    assertTrue(NativeMemory.userTunesMalloc(Map.of("MALLOC_MMAP_THRESHOLD_", "131072")));
    assertTrue(
        NativeMemory.userTunesMalloc(Map.of("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1")));
    assertFalse(NativeMemory.userTunesMalloc(Map.of("GLIBC_TUNABLES", "glibc.pthread.rseq=0")));
    assertFalse(NativeMemory.userTunesMalloc(Map.of("PATH", "/usr/bin", "MALLOC", "x")));
  }

  @Test
  void glibcAcceptsTheFixedThreshold() {
    assumeTrue(NativeMemory.isLinux());
    assumeFalse(NativeMemory.userTunesMalloc(System.getenv()), "the environment tunes malloc");
    assertTrue(NativeMemory.fixMmapThreshold(), "mallopt(M_MMAP_THRESHOLD) was refused");
    assertTrue(NativeMemory.fixMmapThreshold(), "a second call reports the same state");
  }
}
