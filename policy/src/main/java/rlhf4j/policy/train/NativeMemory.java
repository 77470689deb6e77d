package rlhf4j.policy.train;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps glibc's allocator from holding on to freed tensor memory.
 *
 * <p>libtorch allocates its CPU tensors with {@code malloc}. glibc serves large requests with
 * {@code mmap} and returns them on {@code free}, but its threshold for "large" is dynamic: each
 * time a mapped block is freed the threshold rises to that block's size (up to 32 MB), so from then
 * on blocks of that size come from the heap arenas, whose freed space is rarely given back. A PPO
 * run's peak RSS crept up step after step that way (GPT-2 small, batch 8: about 120 MB over five
 * steps). Fixing the threshold ({@code mallopt(M_MMAP_THRESHOLD, n)}, which also turns the dynamic
 * adjustment off) keeps blocks of {@code n} bytes and more mapped and returned. A user's own {@code
 * MALLOC_*_} environment settings win; elsewhere than glibc nothing is done.
 */
public final class NativeMemory {
  private static final Logger LOG = LoggerFactory.getLogger(NativeMemory.class);

  /** Blocks this large and larger are always mapped, and returned to the system when freed. */
  static final int MMAP_THRESHOLD_BYTES = 4 << 20;

  private static final int M_MMAP_THRESHOLD = -3; // glibc malloc.h

  private static volatile boolean applied;

  private NativeMemory() {}

  /**
   * Fixes glibc's mmap threshold at {@link #MMAP_THRESHOLD_BYTES} unless the environment sets a
   * {@code MALLOC_*_} tunable already; once per process. Returns whether the threshold is now fixed
   * by this call or an earlier one.
   */
  public static boolean fixMmapThreshold() {
    if (applied) {
      return true;
    }
    synchronized (NativeMemory.class) {
      if (applied) {
        return true;
      }
      if (!isLinux() || userTunesMalloc(System.getenv())) {
        return false;
      }
      applied = setMmapThreshold(MMAP_THRESHOLD_BYTES);
      if (!applied) {
        LOG.debug("mallopt(M_MMAP_THRESHOLD) refused; the allocator keeps its defaults");
      }
      return applied;
    }
  }

  /**
   * {@code mallopt(M_MMAP_THRESHOLD, bytes)}: glibc then serves every allocation of at least {@code
   * bytes} with its own mapping, unmaps it when freed, and stops raising the threshold itself (the
   * same as starting with {@code MALLOC_MMAP_THRESHOLD_=bytes}).
   *
   * @param bytes in (0, 32 MiB]
   * @return whether glibc accepted it (false on other C libraries or systems)
   */
  public static boolean setMmapThreshold(int bytes) {
    if (bytes <= 0 || bytes > 32 << 20) {
      throw new IllegalArgumentException("bytes must be in (0, 32 MiB], got " + bytes);
    }
    try {
      return libc().mallopt(M_MMAP_THRESHOLD, bytes) == 1;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      LOG.debug("cannot reach mallopt in libc: {}", e.toString());
      return false;
    }
  }

  /**
   * {@code malloc_trim(0)}: gives the free pages inside glibc's heaps back to the system (tensors
   * below the mmap threshold are freed into those heaps and stay resident until reused). Returns
   * whether memory was released; false elsewhere than glibc.
   */
  public static boolean trim() {
    if (!isLinux()) {
      return false;
    }
    try {
      return libc().malloc_trim(0) == 1;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      LOG.debug("cannot reach malloc_trim in libc: {}", e.toString());
      return false;
    }
  }

  private static volatile LibC libc; // loaded once: trim runs before every update

  /** glibc through JNA; throws {@link UnsatisfiedLinkError} where it cannot be reached. */
  private static LibC libc() {
    LibC l = libc;
    if (l == null) {
      l = Native.load("c", LibC.class);
      libc = l;
    }
    return l;
  }

  /** The libc functions used here. */
  private interface LibC extends Library {
    int mallopt(int param, int value);

    int malloc_trim(long pad);
  }

  /** Whether the environment already tunes glibc's malloc (then the user's choice stands). */
  static boolean userTunesMalloc(Map<String, String> env) {
    for (String k : env.keySet()) {
      if (k.startsWith("MALLOC_") && k.endsWith("_")) {
        return true;
      }
      if (k.equals("GLIBC_TUNABLES") && env.get(k).contains("glibc.malloc.")) {
        return true;
      }
    }
    return false;
  }

  /** Whether this is Linux (glibc's allocator and libgomp are what these settings assume). */
  static boolean isLinux() {
    return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
  }
}
