package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** GPU memory from CUDA's runtime API degrades to "no CUDA device" instead of throwing. */
class CudaMemoryTest {

  @Test
  void missingCudaRuntimeIsNoDeviceWithTheLinkErrorAsReason() {
    CudaMemory.Probe p =
        CudaMemory.probe(
            out -> {
              throw new UnsatisfiedLinkError("libcudart.so.12: cannot open shared object file");
            });
    assertEquals(0, p.deviceCount());
    assertTrue(p.reason().startsWith(CudaMemory.NO_DEVICE + ": CUDA runtime not loadable"));
    assertTrue(p.reason().contains("libcudart.so.12"), p.reason());
  }

  @Test
  void reasonNamesTheLibraryTheDynamicLoaderMissed() {
    UnsatisfiedLinkError outer =
        new UnsatisfiedLinkError("no jnicudart in java.library.path: /lib");
    outer.initCause(
        new UnsatisfiedLinkError(
            "/root/.javacpp/cache/rlhf4j.jar/org/bytedeco/cuda/linux-x86_64/libjnicudart.so:"
                + " libcuda.so.1: cannot open shared object file: No such file or directory"));
    CudaMemory.Probe p =
        CudaMemory.probe(
            out -> {
              throw outer;
            });
    assertEquals(
        CudaMemory.NO_DEVICE
            + ": CUDA runtime not loadable (libcuda.so.1: cannot open shared object file: No such"
            + " file or directory)",
        p.reason());
  }

  @Test
  void missingBindingsAreNoDevice() {
    CudaMemory.Probe p =
        CudaMemory.probe(
            out -> {
              throw new NoClassDefFoundError("org/bytedeco/cuda/global/cudart");
            });
    assertEquals(0, p.deviceCount());
    assertTrue(p.reason().startsWith(CudaMemory.NO_DEVICE), p.reason());
  }

  @Test
  void cudaErrorFromTheDriverIsNoDeviceNamingTheCode() {
    CudaMemory.Probe p = CudaMemory.probe(out -> 100); // cudaErrorNoDevice
    assertEquals(0, p.deviceCount());
    assertTrue(p.reason().startsWith(CudaMemory.NO_DEVICE + ": cudaGetDeviceCount says"));
    assertTrue(p.reason().contains("100"), p.reason());
  }

  @Test
  void zeroDevicesIsNoDevice() {
    CudaMemory.Probe p =
        CudaMemory.probe(
            out -> {
              out[0] = 0;
              return 0;
            });
    assertEquals(0, p.deviceCount());
    assertTrue(p.reason().startsWith(CudaMemory.NO_DEVICE), p.reason());
  }

  @Test
  void devicesFoundLeaveNoReason() {
    CudaMemory.Probe p =
        CudaMemory.probe(
            out -> {
              out[0] = 2;
              return 0;
            });
    assertEquals(2, p.deviceCount());
    assertNull(p.reason());
  }

  /** On this machine, whatever it has: nothing throws and the answers agree with each other. */
  @Test
  void realProbeAnswersConsistentlyWithoutThrowing() {
    int n = CudaMemory.deviceCount();
    Map<String, Double> stats = MemoryStats.stats(1L << 20, 2L << 20, 3L << 20);
    assertEquals(1.0, stats.get("memory/base_mb"));
    assertTrue(CudaMemory.device(-1).isEmpty());
    assertTrue(CudaMemory.device(n).isEmpty());
    if (n == 0) {
      assertTrue(CudaMemory.unavailableReason().startsWith(CudaMemory.NO_DEVICE));
      assertTrue(CudaMemory.describe().startsWith(CudaMemory.NO_DEVICE), CudaMemory.describe());
      assertTrue(CudaMemory.device(0).isEmpty());
      assertNull(MemoryStats.gpuMb());
      assertFalse(stats.containsKey("memory/gpu_used_mb"));
      assertFalse(stats.containsKey("memory/gpu_total_mb"));
    } else {
      assertNull(CudaMemory.unavailableReason());
      CudaMemory.DeviceMemory m = CudaMemory.device(0).orElseThrow();
      assertTrue(m.totalBytes() > 0 && m.usedBytes() >= 0 && m.usedBytes() <= m.totalBytes());
      assertTrue(CudaMemory.describe().startsWith("GPU 0: "), CudaMemory.describe());
      assertTrue(stats.get("memory/gpu_total_mb") > 0);
    }
  }
}
