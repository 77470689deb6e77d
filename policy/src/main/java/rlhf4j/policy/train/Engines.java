package rlhf4j.policy.train;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Engine settings that must be in place before DJL loads libtorch: offline, the intra-op thread
 * count, and the OpenMP wait policy.
 *
 * <p>libtorch's OpenMP threads spin at every barrier by default. When another process holds a core,
 * each parallel region then waits for a descheduled thread, and a 2-core machine runs 10x or more
 * slower. libgomp reads {@code OMP_WAIT_POLICY} once, when libtorch loads, from the process
 * environment (not Java's copy of it), so {@link #configure} looks at the machine first: when other
 * processes keep a core busy it puts {@code PASSIVE} there through libc's {@code setenv}; on a
 * quiet machine it leaves libgomp's default, which is faster there (the passive policy measured
 * 1.39x slower PPO steps on a quiet 2-core box). A user's own {@code OMP_WAIT_POLICY} always wins.
 * Call it first thing in {@code main}; later calls after the engine has loaded change nothing in
 * the running engine.
 */
public final class Engines {
  private static final Logger LOG = LoggerFactory.getLogger(Engines.class);
  static final String WAIT_POLICY = "OMP_WAIT_POLICY";

  private static volatile boolean defaultsApplied;

  private Engines() {}

  /**
   * The defaults an API user gets without calling {@link #configure}: the OpenMP wait policy for
   * the machine's load (unless {@code OMP_WAIT_POLICY} is set), chosen once. The classes an API
   * user touches first ({@code HfCheckpoint}, {@code CausalLM}, {@code Tokenizer}) call it from
   * their static initializers, before libtorch loads. It changes no system property: the thread
   * count and offline mode stay as the user set them.
   */
  public static void defaults() {
    if (!defaultsApplied) {
      synchronized (Engines.class) {
        if (!defaultsApplied) {
          passiveWaitPolicy();
          NativeMemory.fixMmapThreshold();
          defaultsApplied = true;
        }
      }
    }
  }

  static boolean defaultsApplied() {
    return defaultsApplied;
  }

  /**
   * Offline (no downloads, no telemetry probe), {@code threads} intra-op threads ({@code <= 0}: the
   * engine's default), and the OpenMP wait policy for the machine's load unless {@code
   * OMP_WAIT_POLICY} is set.
   */
  public static void configure(int threads) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    if (threads > 0) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
    passiveWaitPolicy();
    NativeMemory.fixMmapThreshold();
  }

  /**
   * Chooses the OpenMP wait policy before libtorch loads, unless {@code OMP_WAIT_POLICY} is set in
   * the native environment already: when other processes keep at least half a core busy right now,
   * {@code PASSIVE} (spinning threads would wait for descheduled ones at every barrier: 10x or more
   * slower); on a quiet machine libgomp's default (short spinning, which the passive policy would
   * cost: PPO step 5.2 s instead of 7.2 s at GPT-2 small on 2 cores). Returns the value in force
   * afterwards (null: libgomp's default), or null where libc cannot be reached.
   */
  static String passiveWaitPolicy() {
    if (!NativeMemory.isLinux()) {
      return System.getenv(WAIT_POLICY); // elsewhere: leave the environment to the launcher
    }
    try {
      NativeLibrary libc = NativeLibrary.getInstance("c");
      Function getenv = libc.getFunction("getenv");
      String current = (String) getenv.invoke(String.class, new Object[] {WAIT_POLICY});
      if (current == null) {
        double others = otherProcessesCores(Duration.ofMillis(150));
        if (needsPassiveWait(others)) {
          libc.getFunction("setenv").invokeInt(new Object[] {WAIT_POLICY, "PASSIVE", 0});
          current = (String) getenv.invoke(String.class, new Object[] {WAIT_POLICY});
          LOG.info(
              "other processes keep {} core(s) busy: OpenMP threads wait passively"
                  + " (set OMP_WAIT_POLICY to choose)",
              String.format(Locale.ROOT, "%.1f", others));
        }
      }
      return current;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      LOG.debug("cannot set {} through libc: {}", WAIT_POLICY, e.toString());
      return null;
    }
  }

  /** Whether {@code otherCores} cores busy with other processes call for passive waiting. */
  static boolean needsPassiveWait(double otherCores) {
    return otherCores >= 0.5;
  }

  /**
   * How many cores other processes keep busy over {@code window}: the machine's busy time from
   * {@code /proc/stat} less this process's own ({@code /proc/self/stat}), in cores; 0 when unknown.
   */
  static double otherProcessesCores(Duration window) {
    try {
      long[] t0 = cpuTicks();
      Thread.sleep(window.toMillis());
      long[] t1 = cpuTicks();
      long total = t1[0] - t0[0];
      long idle = t1[1] - t0[1];
      long self = t1[2] - t0[2];
      if (total <= 0) {
        return 0;
      }
      int cores = Runtime.getRuntime().availableProcessors();
      double busyShare = Math.max(0, (double) (total - idle - self) / total);
      return busyShare * cores;
    } catch (IOException | RuntimeException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  /** {total, idle + iowait, this process's user + system} in clock ticks. */
  private static long[] cpuTicks() throws IOException {
    String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < cpu.length; i++) {
      total += Long.parseLong(cpu[i]);
    }
    long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]);
    String self = Files.readString(Path.of("/proc/self/stat"));
    String[] f = self.substring(self.lastIndexOf(')') + 2).trim().split("\\s+");
    long own = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
    return new long[] {total, idle, own};
  }
}
