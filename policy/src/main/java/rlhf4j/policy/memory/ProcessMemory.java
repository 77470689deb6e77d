package rlhf4j.policy.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import rlhf4j.policy.train.NativeMemory;

/**
 * Resident memory of this process from Linux's {@code /proc/self/status}: the current resident set
 * (VmRSS) and its high-water mark (VmHWM), which counts native (libtorch) memory that the JVM does
 * not see. Methods return -1 where {@code /proc} is missing (macOS, Windows).
 *
 * <p>{@link #releaseFreedMemoryEagerly(int)} is an allocator lever: glibc keeps freed blocks below
 * its (self-raising, up to 32 MiB) mmap threshold in its heaps, so a training step whose tensors
 * are freed block by block (gradient checkpointing) still leaves the resident set near the sum of
 * everything it ever allocated; fixing the threshold low returns large frees to the kernel at once,
 * for the price of page faults on each new large tensor.
 */
public final class ProcessMemory {
  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

  private ProcessMemory() {}

  /** Current resident set size in bytes (VmRSS), or -1. */
  public static long rssBytes() {
    return field("VmRSS:");
  }

  /** Peak resident set size in bytes since start or the last {@link #resetPeak()} (VmHWM). */
  public static long peakRssBytes() {
    return field("VmHWM:");
  }

  /**
   * Resets the peak to the current resident size (writes 5 to {@code /proc/self/clear_refs}, Linux
   * ≥ 4.0), so a later {@link #peakRssBytes()} measures one phase.
   *
   * @return whether the kernel accepted the reset
   */
  public static boolean resetPeak() {
    try {
      Files.writeString(CLEAR_REFS, "5");
      return true;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }

  /**
   * Makes glibc serve every allocation of at least {@code thresholdBytes} with its own mapping and
   * unmap it when freed ({@code mallopt(M_MMAP_THRESHOLD, thresholdBytes)}, which also stops glibc
   * from raising the threshold; the same as starting the JVM with {@code
   * MALLOC_MMAP_THRESHOLD_=thresholdBytes}). Call it once at start-up, before the model loads.
   *
   * @param thresholdBytes e.g. 65536; glibc accepts at most 32 MiB
   * @return whether glibc accepted it (false on other C libraries or systems)
   */
  public static boolean releaseFreedMemoryEagerly(int thresholdBytes) {
    return NativeMemory.setMmapThreshold(thresholdBytes);
  }

  private static long field(String name) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith(name)) {
          String[] parts = line.substring(name.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024; // kB
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
