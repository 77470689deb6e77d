package rlhf4j.ppo;

import java.util.Optional;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * GPU memory facts from CUDA's own runtime API ({@code cudaGetDeviceCount}, {@code cudaMemGetInfo})
 * through the JavaCPP cudart bindings. The bindings carry only their JNI library; it loads the
 * machine's {@code libcudart.so.12} and driver ({@code libcuda.so.1}). With no driver, no CUDA
 * runtime or no device nothing throws: {@link #deviceCount()} is 0, {@link #device(int)} is empty
 * and {@link #unavailableReason()} says why. The probe runs once per JVM.
 */
public final class CudaMemory {
  private CudaMemory() {}

  /** What {@link #describe()} and the reason start with when no CUDA device can be used. */
  public static final String NO_DEVICE = "no CUDA device";

  /** Memory of one device in bytes as {@code cudaMemGetInfo} reports it (all processes' use). */
  public record DeviceMemory(int device, long freeBytes, long totalBytes) {
    /** Bytes in use on the device: total − free. */
    public long usedBytes() {
      return totalBytes - freeBytes;
    }
  }

  /** The outcome of the one probe: how many devices, or why none can be used. */
  record Probe(int deviceCount, String reason) {}

  /**
   * One call of {@code cudaGetDeviceCount(int*)}: the CUDA error code, the count in {@code out[0]}.
   */
  @FunctionalInterface
  interface DeviceCounter {
    int count(int[] out);
  }

  private static volatile Probe probe;

  private static Probe probe() {
    Probe p = probe;
    if (p == null) {
      synchronized (CudaMemory.class) {
        p = probe;
        if (p == null) {
          // a lambda, not cudart::cudaGetDeviceCount: the class resolves inside probe's try
          p = probe(out -> cudart.cudaGetDeviceCount(out));
          probe = p;
        }
      }
    }
    return p;
  }

  /** Asks {@code counter} for the device count, turning every failure into a reason. */
  static Probe probe(DeviceCounter counter) {
    try {
      int[] n = new int[1];
      int err = counter.count(n);
      if (err != cudart.cudaSuccess) {
        return new Probe(0, NO_DEVICE + ": cudaGetDeviceCount says " + errorName(err));
      }
      return n[0] > 0 ? new Probe(n[0], null) : new Probe(0, NO_DEVICE + ": the driver lists none");
    } catch (LinkageError | RuntimeException e) {
      // UnsatisfiedLinkError: no libcudart.so.12 / libcuda.so.1; NoClassDefFoundError: no bindings
      return new Probe(0, NO_DEVICE + ": CUDA runtime not loadable (" + rootMessage(e) + ")");
    }
  }

  /** How many CUDA devices the runtime sees; 0 with no driver, runtime or device. */
  public static int deviceCount() {
    return probe().deviceCount();
  }

  /** Why no device can be used ({@value #NO_DEVICE}: ...), or null when one can. */
  public static String unavailableReason() {
    return probe().reason();
  }

  /**
   * Free and total memory of {@code device}, or empty when it does not exist or CUDA cannot answer.
   * The calling thread's current device is restored afterwards.
   */
  public static Optional<DeviceMemory> device(int device) {
    if (device < 0 || device >= deviceCount()) {
      return Optional.empty();
    }
    try (SizeTPointer free = new SizeTPointer(1);
        SizeTPointer total = new SizeTPointer(1)) {
      int[] current = new int[1];
      if (cudart.cudaGetDevice(current) != cudart.cudaSuccess) {
        return Optional.empty();
      }
      boolean switched = current[0] != device;
      if (switched && cudart.cudaSetDevice(device) != cudart.cudaSuccess) {
        return Optional.empty();
      }
      int err = cudart.cudaMemGetInfo(free, total);
      if (switched) {
        cudart.cudaSetDevice(current[0]);
      }
      return err == cudart.cudaSuccess
          ? Optional.of(new DeviceMemory(device, free.get(), total.get()))
          : Optional.empty();
    } catch (LinkageError | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** One line for logs: {@code GPU 0: 812 MB used of 81559 MB}, or the reason there is none. */
  public static String describe() {
    return device(0)
        .map(
            m ->
                String.format(
                    "GPU %d: %.0f MB used of %.0f MB",
                    m.device(), m.usedBytes() / 1048576.0, m.totalBytes() / 1048576.0))
        .orElseGet(() -> unavailableReason() != null ? unavailableReason() : NO_DEVICE);
  }

  private static String errorName(int err) {
    try {
      return cudart.cudaGetErrorString(err).getString() + " (error " + err + ")";
    } catch (LinkageError | RuntimeException e) {
      return "error " + err;
    }
  }

  /**
   * The first line of the innermost message: JavaCPP's "no jnicudart in java.library.path" wraps
   * the loader's own "libcuda.so.1: cannot open shared object file", less the extracted file's
   * path.
   */
  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    m = m.lines().findFirst().orElse(m).replaceFirst("^/\\S+\\.so: ", "");
    return m.length() > 200 ? m.substring(0, 200) + "..." : m;
  }
}
