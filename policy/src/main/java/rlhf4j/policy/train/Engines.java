package rlhf4j.policy.train;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
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
 * environment (not Java's copy of it), so {@link #configure} puts {@code PASSIVE} there through
 * libc's {@code setenv} unless the user set the variable: the same speed on a quiet machine, no
 * collapse on a busy one. Call it first thing in {@code main}; later calls after the engine has
 * loaded change nothing in the running engine.
 */
public final class Engines {
  private static final Logger LOG = LoggerFactory.getLogger(Engines.class);
  static final String WAIT_POLICY = "OMP_WAIT_POLICY";

  private static volatile boolean defaultsApplied;

  private Engines() {}

  /**
   * The defaults an API user gets without calling {@link #configure}: the passive OpenMP wait
   * policy (unless {@code OMP_WAIT_POLICY} is set), applied once. The classes an API user touches
   * first ({@code HfCheckpoint}, {@code CausalLM}, {@code Tokenizer}) call it from their static
   * initializers, before libtorch loads. It changes no system property: the thread count and
   * offline mode stay as the user set them.
   */
  public static void defaults() {
    if (!defaultsApplied) {
      synchronized (Engines.class) {
        if (!defaultsApplied) {
          passiveWaitPolicy();
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
   * engine's default), and a passive OpenMP wait policy unless {@code OMP_WAIT_POLICY} is set.
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
  }

  /**
   * Sets {@code OMP_WAIT_POLICY=PASSIVE} in the native process environment unless it is set there
   * already. Returns the value in force afterwards, or null where libc cannot be reached.
   */
  static String passiveWaitPolicy() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return System.getenv(WAIT_POLICY); // elsewhere: leave the environment to the launcher
    }
    try {
      NativeLibrary libc = NativeLibrary.getInstance("c");
      Function getenv = libc.getFunction("getenv");
      String current = (String) getenv.invoke(String.class, new Object[] {WAIT_POLICY});
      if (current == null) {
        libc.getFunction("setenv").invokeInt(new Object[] {WAIT_POLICY, "PASSIVE", 0});
        current = (String) getenv.invoke(String.class, new Object[] {WAIT_POLICY});
      }
      return current;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      LOG.debug("cannot set {} through libc: {}", WAIT_POLICY, e.toString());
      return null;
    }
  }
}
