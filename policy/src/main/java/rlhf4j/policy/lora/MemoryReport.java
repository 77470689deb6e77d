package rlhf4j.policy.lora;

import java.util.Locale;

/**
 * Native memory held by a policy, counted from the arrays its managers own.
 *
 * @param baseArrays arrays owned by the base model's manager
 * @param baseBytes their bytes
 * @param adapterArrays arrays owned by the adapters (A, B, modules_to_save copies)
 * @param adapterBytes their bytes
 * @param optimizerBytes optimizer state bytes, as reported by the caller
 */
public record MemoryReport(
    long baseArrays, long baseBytes, long adapterArrays, long adapterBytes, long optimizerBytes) {
  /** Checks the counts. */
  public MemoryReport {
    if (baseArrays < 0 || baseBytes < 0 || adapterArrays < 0 || adapterBytes < 0) {
      throw new IllegalArgumentException("array counts and bytes must be >= 0");
    }
    if (optimizerBytes < 0) {
      throw new IllegalArgumentException("optimizerBytes must be >= 0, got " + optimizerBytes);
    }
  }

  /** Base, adapter and optimizer bytes together. */
  public long totalBytes() {
    return baseBytes + adapterBytes + optimizerBytes;
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "base: %,d arrays, %s || adapters: %,d arrays, %s || optimizer state: %s || total: %s",
        baseArrays,
        mib(baseBytes),
        adapterArrays,
        mib(adapterBytes),
        mib(optimizerBytes),
        mib(totalBytes()));
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024.0));
  }
}
