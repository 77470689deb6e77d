package rlhf4j.policy.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process from Linux's {@code /proc/self/status}: the current resident set
 * (VmRSS) and its high-water mark (VmHWM), which counts native (libtorch) memory that the JVM does
 * not see. Methods return -1 where {@code /proc} is missing (macOS, Windows).
 *
 * <p>The resident set also holds freed blocks glibc kept in its heaps; {@link
 * rlhf4j.policy.train.NativeMemory#setMmapThreshold(int)} with a low threshold returns large frees
 * to the kernel at once (for the price of page faults on each new large tensor), so that growth
 * measures live tensors.
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
