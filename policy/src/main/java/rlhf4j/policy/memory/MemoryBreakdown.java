package rlhf4j.policy.memory;

import java.util.Locale;
import java.util.Objects;
import rlhf4j.policy.lora.MemoryReport;
import rlhf4j.policy.quant.QuantConfig;

/**
 * Where a training run's memory goes, with the levers that shape it: stored base weights (by {@link
 * QuantConfig}), adapters, optimizer state, the estimated activations (with or without gradient
 * checkpointing) and the measured peak resident set.
 *
 * @param baseBytes base arrays as stored (codes plus scales when quantised)
 * @param adapterBytes adapter arrays
 * @param optimizerBytes optimizer state
 * @param activationEstimateBytes {@link ActivationEstimate} for the step's shape, or -1
 * @param peakRssBytes {@link ProcessMemory#peakRssBytes()}, or -1 where unknown
 * @param quant how the base is stored
 * @param checkpointing whether gradient checkpointing is on
 */
public record MemoryBreakdown(
    long baseBytes,
    long adapterBytes,
    long optimizerBytes,
    long activationEstimateBytes,
    long peakRssBytes,
    QuantConfig quant,
    boolean checkpointing) {
  public MemoryBreakdown {
    Objects.requireNonNull(quant, "quant");
    if (baseBytes < 0 || adapterBytes < 0 || optimizerBytes < 0) {
      throw new IllegalArgumentException(
          "base, adapter and optimizer bytes must be >= 0, got "
              + baseBytes
              + ", "
              + adapterBytes
              + ", "
              + optimizerBytes);
    }
  }

  /**
   * Combines a LoRA memory report with an activation estimate and the current peak RSS.
   *
   * @param report from {@code LoraModel.memoryReport(optimizerBytes)}
   */
  public static MemoryBreakdown of(
      MemoryReport report, QuantConfig quant, boolean checkpointing, long activationEstimateBytes) {
    return new MemoryBreakdown(
        report.baseBytes(),
        report.adapterBytes(),
        report.optimizerBytes(),
        activationEstimateBytes,
        ProcessMemory.peakRssBytes(),
        quant,
        checkpointing);
  }

  @Override
  public String toString() {
    String base =
        quant.quantizes()
            ? quant.baseDtype()
                + (quant.blockSize() > 0 ? " blocks of " + quant.blockSize() : "")
                + (quant.quantizeEmbeddings() ? " incl. embeddings" : "")
            : "fp32";
    return String.format(
        Locale.ROOT,
        "base: %s (%s) || adapters: %s || optimizer state: %s || activations: %s (%s) || peak RSS: %s",
        mib(baseBytes),
        base,
        mib(adapterBytes),
        mib(optimizerBytes),
        activationEstimateBytes < 0 ? "n/a" : "~" + mib(activationEstimateBytes),
        checkpointing ? "checkpointed" : "no checkpointing",
        peakRssBytes < 0 ? "n/a" : mib(peakRssBytes));
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }
}
