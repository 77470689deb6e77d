package rlhf4j.policy.lora;

/**
 * The per-thread "adapters off" switch of one {@link LoraModel} (PEFT's {@code disable_adapter()}
 * context, scoped to the calling thread).
 *
 * <p>Each thread has its own flag, read by every adapted layer in that thread's forward passes, so
 * a reference pass on one thread runs the base model while a rollout on another thread in the same
 * instant still applies the adapters. A count of the handles open on all threads lets the model
 * refuse to merge while any thread has adapters off, and tells it when the last one closes. The
 * adapted layers read {@link #offHere()}: one volatile read when no handle is open anywhere, one
 * thread-local look-up otherwise.
 */
final class AdapterSwitch {
  /** One thread's count of open handles; a handle keeps the count of the thread that opened it. */
  static final class Depth {
    private volatile int handles; // written under the owner's lock
  }

  private final ThreadLocal<Depth> depths = ThreadLocal.withInitial(Depth::new);
  private volatile int open; // handles open on all threads; written under the owner's lock

  /** Whether the calling thread has adapters off. */
  boolean offHere() {
    return open > 0 && depths.get().handles > 0;
  }

  /** Whether any thread has adapters off. */
  boolean anyOff() {
    return open > 0;
  }

  /**
   * Turns adapters off for the calling thread; the caller holds the owner's lock.
   *
   * @return the calling thread's count, to pass to {@link #close} (also from another thread)
   */
  Depth open() {
    Depth d = depths.get();
    d.handles++;
    open++;
    return d;
  }

  /**
   * Closes one handle of the thread that {@code d} belongs to; that thread has adapters on again
   * when its last handle closes. The caller holds the owner's lock and closes each handle once.
   *
   * @return whether this was the last handle open on any thread
   */
  boolean close(Depth d) {
    d.handles--;
    open--;
    return open == 0;
  }
}
