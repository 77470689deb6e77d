package rlhf4j.policy.train;

/** DJL settings that must be in place before the engine loads: offline, thread count. */
public final class Engines {
  private Engines() {}

  /** Offline (no downloads, no telemetry probe) and {@code threads} intra-op threads. */
  public static void configure(int threads) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    if (threads > 0) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
  }
}
