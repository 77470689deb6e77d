package rlhf4j.ppo;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Memory facts for the {@code memory/...} stats: resident set size, and GPU free/total when a CUDA
 * device is present (through DJL's CUDA utilities; with no GPU or driver this degrades to "no CUDA
 * device").
 */
public final class MemoryStats {
  private MemoryStats() {}

  /** Peak (VmHWM) and current (VmRSS) resident set size in MB, NaN off Linux. */
  public static double[] rssMb() {
    double peak = Double.NaN;
    double now = Double.NaN;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          peak = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        } else if (line.startsWith("VmRSS:")) {
          now = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: leave NaN
    }
    return new double[] {peak, now};
  }

  /** Whether a CUDA device answered, probed once (each failed probe logs a warning). */
  private static volatile Boolean gpuPresent;

  private static boolean gpuPresent() {
    if (gpuPresent == null) {
      boolean present;
      try {
        present = CudaUtils.hasCuda() && CudaUtils.getGpuCount() > 0;
      } catch (Throwable t) { // no driver
        present = false;
      }
      gpuPresent = present;
    }
    return gpuPresent;
  }

  /** GPU memory of device 0 in MB {used, total}, or null when there is no usable CUDA device. */
  public static double[] gpuMb() {
    try {
      if (!gpuPresent()) {
        return null;
      }
      MemoryUsage u = CudaUtils.getGpuMemory(Device.gpu(0));
      return new double[] {u.getCommitted() / 1048576.0, u.getMax() / 1048576.0};
    } catch (Throwable t) { // no driver: UnsatisfiedLinkError, EngineException, ...
      return null;
    }
  }

  /** A one-line description for logs: the GPU's memory or "no CUDA device". */
  public static String gpuDescription() {
    double[] g = gpuMb();
    return g == null
        ? "no CUDA device"
        : String.format("GPU 0: %.0f MB used of %.0f MB", g[0], g[1]);
  }

  /** Adds {@code memory/...} entries. */
  public static Map<String, Double> stats(
      long baseBytes, long trainableBytes, long optimizerBytes) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("memory/base_mb", baseBytes / 1048576.0);
    m.put("memory/trainable_mb", trainableBytes / 1048576.0);
    m.put("memory/optimizer_mb", optimizerBytes / 1048576.0);
    double[] rss = rssMb();
    m.put("memory/peak_rss_mb", rss[0]);
    m.put("memory/rss_mb", rss[1]);
    double[] g = gpuMb();
    if (g != null) {
      m.put("memory/gpu_used_mb", g[0]);
      m.put("memory/gpu_total_mb", g[1]);
    }
    return m;
  }
}
