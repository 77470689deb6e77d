package rlhf4j.distributed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reference.ReferenceModel;
import rlhf4j.reward.RewardFunction;

/**
 * One executor JVM's copy of the policy: the frozen base model, loaded once per JVM per {@link
 * BaseModelSpec} and kept across steps, with the adapter and value head of the current step's
 * {@link AdapterPayload} on top. Tasks of one step running on several cores of the executor share
 * it through {@link #lease}: a lease holds the adapter in place; a payload of a newer version is
 * swapped in only when no lease is open.
 */
public final class ExecutorPolicy {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorPolicy.class);
  private static final Map<BaseModelSpec, ExecutorPolicy> CACHE = new ConcurrentHashMap<>();
  private static final Map<RewardSpec, RewardFunction> REWARDS = new ConcurrentHashMap<>();

  private final CausalLM model;
  private final Tokenizer tokenizer;
  private final NDManager manager = NDManager.newBaseManager();
  private LoraModel lora;
  private ValueHead valueHead;
  private String version;
  private int adapterCount;
  private int leases;

  private ExecutorPolicy(BaseModelSpec spec) {
    Path dir = Path.of(spec.modelDir());
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException(
          "the base model folder "
              + dir
              + " does not exist on this executor; copy it to the same path on every node or"
              + " put it on a shared filesystem");
    }
    this.model = HfCheckpoint.load(dir);
    this.tokenizer =
        Files.isRegularFile(dir.resolve("tokenizer.json")) ? Tokenizer.load(dir) : null;
    LOG.info("executor loaded base model {} ({} parameters)", dir, model.parameterCount());
  }

  /** This JVM's policy on {@code spec}'s base model, loading the base on first use. */
  public static ExecutorPolicy of(BaseModelSpec spec) {
    return CACHE.computeIfAbsent(spec, ExecutorPolicy::new);
  }

  /**
   * This JVM's instance of {@code spec}'s reward, built on first use; unguarded (PPO guards it, the
   * critic-free trainers' functions may return NaN), and shared by the executor's cores.
   */
  public static RewardFunction reward(RewardSpec spec) {
    return REWARDS.computeIfAbsent(spec, RewardSpec::create);
  }

  /** Number of base models this JVM holds (tests: the base is loaded once). */
  public static int cachedModels() {
    return CACHE.size();
  }

  /**
   * Frees every cached model of this JVM and closes every cached reward that holds resources (a
   * reward model's weights, an HTTP client); a later task loads again.
   *
   * @throws IllegalStateException after freeing the rest, when a reward failed to close
   */
  public static synchronized void clearAll() {
    for (ExecutorPolicy p : CACHE.values()) {
      p.close();
    }
    CACHE.clear();
    IllegalStateException failed = null;
    for (Map.Entry<RewardSpec, RewardFunction> e : REWARDS.entrySet()) {
      if (e.getValue() instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception ex) {
          if (failed == null) {
            failed = new IllegalStateException("cannot close reward " + e.getKey(), ex);
          } else {
            failed.addSuppressed(ex);
          }
        }
      }
    }
    REWARDS.clear();
    if (failed != null) {
      throw failed;
    }
  }

  /** What a task uses while its lease is open; close it when the task's forwards are done. */
  public final class Lease implements AutoCloseable {
    private boolean closed;

    private Lease() {}

    public CausalLM model() {
      return model;
    }

    /** The value head of the payload, or null when none was broadcast. */
    public ValueHead valueHead() {
      return valueHead;
    }

    /** The base folder's tokenizer, or null when it has none. */
    public Tokenizer tokenizer() {
      return tokenizer;
    }

    /**
     * The payload's adapter arrays on this executor ({@link LoraModel#trainableParameters()}, in
     * the driver's order), for a data-parallel update's backward.
     */
    public Map<String, NDArray> trainable() {
      return lora.trainableParameters();
    }

    /** The base model with the adapters off. */
    public ReferenceModel reference() {
      return new AdapterSwitchingReference(lora);
    }

    @Override
    public void close() {
      synchronized (ExecutorPolicy.this) {
        if (!closed) {
          closed = true;
          leases--;
          ExecutorPolicy.this.notifyAll();
        }
      }
    }
  }

  /**
   * Puts {@code payload}'s adapter and value head in place (unless they are already) and holds them
   * there until the lease closes. Waits while leases on another version are open.
   */
  public synchronized Lease lease(AdapterPayload payload) {
    while (leases > 0 && !payload.version().equals(version)) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the previous step's tasks");
      }
    }
    if (!payload.version().equals(version)) {
      load(payload);
    }
    leases++;
    return new Lease();
  }

  private void load(AdapterPayload payload) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("rlhf4j-executor-adapter-");
      payload.writeAdapter(dir);
      String name = "step_" + (adapterCount++);
      if (lora == null) {
        lora = LoraModel.load(model, dir, name);
      } else {
        String old = lora.activeAdapter();
        lora.loadAdapter(dir, name);
        lora.setActive(name);
        lora.deleteAdapter(old);
      }
      if (valueHead != null) {
        valueHead.close();
      }
      valueHead = payload.readValueHead(manager, dir);
      version = payload.version();
    } catch (IOException e) {
      throw new UncheckedIOException("could not unpack the broadcast adapter", e);
    } finally {
      AdapterPayload.deleteQuietly(dir);
    }
  }

  private synchronized void close() {
    if (valueHead != null) {
      valueHead.close();
    }
    if (lora != null) {
      lora.close();
    }
    manager.close();
    model.close();
  }
}
