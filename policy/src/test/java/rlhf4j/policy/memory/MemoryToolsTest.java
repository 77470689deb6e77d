package rlhf4j.policy.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.MemoryReport;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.quant.BaseDtype;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.policy.train.NativeMemory;

/** Process memory readings and the activation estimate. */
class MemoryToolsTest {
  @Test
  void residentMemoryIsReadFromProcWhereItExists() {
    long rss = ProcessMemory.rssBytes();
    long peak = ProcessMemory.peakRssBytes();
    if (!Files.exists(Path.of("/proc/self/status"))) {
      assertEquals(-1, rss);
      return;
    }
    assertTrue(rss > 10 << 20, "a JVM holds more than 10 MiB, got " + rss);
    assertTrue(peak >= rss, "peak " + peak + " >= current " + rss);
    byte[] touched = new byte[64 << 20];
    for (int i = 0; i < touched.length; i += 4096) {
      touched[i] = 1;
    }
    assertTrue(ProcessMemory.peakRssBytes() >= peak, "the peak never drops without a reset");
    assertEquals(1, touched[0]);
  }

  @Test
  void eagerReleaseChecksItsThreshold() {
    assertThrows(IllegalArgumentException.class, () -> NativeMemory.setMmapThreshold(0));
    assertThrows(
        IllegalArgumentException.class, () -> NativeMemory.setMmapThreshold((32 << 20) + 1));
  }

  @Test
  void estimateMatchesTheCountedTensorsOfATinyGpt2() {
    ModelConfig c = Presets.config("nano"); // D 32, I 128, 2 layers, 2 heads, V 512
    long b = 2;
    long s = 8;
    long t = 4;
    double n = b * s;
    double scores = b * 2 * s * s;
    double logits = b * t * 512;
    double saved = 5 * n * 32 + 4 * n * 128 + scores;
    double inFlight = 4 * n * 32 + 2 * n * 128 + 2 * scores;
    assertEquals(
        (long) ((2 * saved + Math.max(inFlight, 4 * logits)) * 4),
        ActivationEstimate.bytes(c, b, s, t, false, true));
    assertEquals(
        (long) ((3 * n * 32 + Math.max(saved + inFlight + 2 * n * 32, 4 * logits)) * 4),
        ActivationEstimate.bytes(c, b, s, t, true, true));
  }

  @Test
  void checkpointingLowersTheEstimateForDeepModels() {
    for (String preset : new String[] {"small", "tiny-llama", "tiny-neox"}) {
      ModelConfig c = Presets.config(preset);
      long plain = ActivationEstimate.bytes(c, 8, 256, 16, false, true);
      long ckpt = ActivationEstimate.bytes(c, 8, 256, 16, true, true);
      assertTrue(ckpt < plain, preset + ": " + ckpt + " < " + plain);
    }
    ModelConfig small = Presets.config("small");
    assertTrue(
        ActivationEstimate.bytes(small, 8, 256, 16, false, false)
            < ActivationEstimate.bytes(small, 8, 256, 16, false, true),
        "a no-grad forward keeps one block at a time");
    assertThrows(
        IllegalArgumentException.class,
        () -> ActivationEstimate.bytes(Presets.config("nano"), 1, 4, 5, false, true));
  }

  @Test
  void breakdownNamesEachLever() {
    MemoryBreakdown b =
        new MemoryBreakdown(
            3L << 20,
            1L << 20,
            2L << 20,
            5L << 20,
            100L << 20,
            QuantConfig.builder().baseDtype(BaseDtype.INT8).quantizeEmbeddings(true).build(),
            true);
    assertEquals(
        "base: 3.0 MiB (int8 incl. embeddings) || adapters: 1.0 MiB || optimizer state: 2.0 MiB"
            + " || activations: ~5.0 MiB (checkpointed) || peak RSS: 100.0 MiB",
        b.toString());
    MemoryBreakdown of =
        MemoryBreakdown.of(new MemoryReport(1, 4, 2, 8, 16), QuantConfig.FP32, false, -1);
    assertEquals(4, of.baseBytes());
    assertEquals(8, of.adapterBytes());
    assertEquals(16, of.optimizerBytes());
    assertTrue(of.toString().contains("activations: n/a (no checkpointing)"), of.toString());
  }
}
