package rlhf4j.ppo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Memory facts for the {@code memory/...} stats: resident set size, and GPU used/total when a CUDA
 * device is present (from CUDA's runtime API through {@link CudaMemory}; with no GPU, driver or
 * CUDA runtime the GPU entries are left out and {@link #gpuDescription()} says "no CUDA device").
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

  /**
   * GPU memory of device 0 in MB {used, total} from CUDA's runtime API ({@link CudaMemory}), or
   * null when there is no usable CUDA device.
   */
  public static double[] gpuMb() {
    return CudaMemory.device(0)
        .map(m -> new double[] {m.usedBytes() / 1048576.0, m.totalBytes() / 1048576.0})
        .orElse(null);
  }

  /** A one-line description for logs: the GPU's memory or "no CUDA device: why". */
  public static String gpuDescription() {
    return CudaMemory.describe();
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
