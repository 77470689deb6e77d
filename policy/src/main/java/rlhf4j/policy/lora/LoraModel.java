package rlhf4j.policy.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import rlhf4j.policy.family.Architectures;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.Linear;

/**
 * LoRA adapters on a {@link CausalLM}, with PEFT's semantics: a frozen base, one or more named
 * adapters of which one is active, switching them off, merging into the base weights, and PEFT's
 * file format. The pieces follow PEFT's {@code tuners/lora}: {@link LoraConfig}, {@link LoraLayer}
 * (one adapted module), {@link LoraTargets} (which modules), {@link LoraMerge}, {@link
 * PeftAdapterFiles} and {@link AdapterConfigFile} (the files); this class injects, keeps the
 * adapter registry, switches and reports.
 *
 * <p>Forward of an adapted linear layer: {@code y = x·Wᵀ + b + (dropout(x)·Aᵀ)·Bᵀ · scaling}, with
 * A (r, in), B (out, r), dropout only in training. With adapters off, or with no active adapter,
 * the layer returns the base output itself, so with {@code bias = none} the logits are bitwise the
 * base model's. With {@code bias = all} or {@code lora_only} the biases are base weights that
 * train, so adapters off is then <em>not</em> the original model (PEFT warns the same).
 *
 * <p><b>Threads.</b> Forward passes may run on several threads at once; {@link #adaptersDisabled()}
 * is scoped to the calling thread (see there). Everything else (adding, activating, deleting,
 * loading adapters, merging, training steps, {@link #close()}) changes state every thread reads,
 * and must not overlap a forward pass on another thread.
 *
 * <p>Adapter arrays live in this object's manager; {@link #close()} detaches every adapter,
 * unmerges and frees them, and leaves the base model open. One LoraModel per CausalLM.
 */
public final class LoraModel implements AutoCloseable {
  /** PEFT's default adapter name; saved in the folder itself, other adapters in sub-folders. */
  public static final String DEFAULT_ADAPTER = "default";

  /** Prefix of PEFT's state-dict keys for a PeftModelForCausalLM. */
  public static final String KEY_PREFIX = PeftAdapterFiles.KEY_PREFIX;

  private static final Logger LOG = LoggerFactory.getLogger(LoraModel.class);

  /** Undoes {@link #adaptersDisabled()}; closing twice does nothing. */
  public interface Restore extends AutoCloseable {
    @Override
    void close();
  }

  private final CausalLM model;
  private final NDManager manager;
  private final LoraTargets targets;
  private final AdapterSwitch adapterSwitch = new AdapterSwitch();
  private final AdapterRegistry adapters;
  // unmerged by adaptersDisabled(): merge again when the last handle on any thread closes
  private boolean remergeWhenOn;
  private boolean closed;

  private LoraModel(CausalLM model) {
    this.model = model;
    this.targets = new LoraTargets(model, defaultTargets());
    for (Linear l : targets.modules()) {
      if (l.adapter() != null) {
        throw new IllegalStateException(
            "module "
                + l.path()
                + " already has an adapter attached; wrap each CausalLM in one LoraModel only");
      }
    }
    this.adapters = new AdapterRegistry(model, targets, adapterSwitch);
    this.manager = NDManager.newBaseManager();
    model.setBaseTrainable(false);
  }

  /**
   * Wraps {@code model}, freezes its weights and adds a fresh adapter {@value #DEFAULT_ADAPTER},
   * initialised from {@code seed}, which becomes active.
   */
  public static LoraModel inject(CausalLM model, LoraConfig config, long seed) {
    return inject(model, config, DEFAULT_ADAPTER, seed);
  }

  /** Like {@link #inject(CausalLM, LoraConfig, long)} with a chosen adapter name. */
  public static LoraModel inject(CausalLM model, LoraConfig config, String name, long seed) {
    LoraModel m = new LoraModel(model);
    try {
      m.addAdapter(name, config, seed);
      m.setActive(name);
      return m;
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /**
   * Wraps {@code model} and loads the PEFT adapter saved in {@code dir} as {@value
   * #DEFAULT_ADAPTER}, active.
   */
  public static LoraModel load(CausalLM model, Path dir) {
    return load(model, dir, DEFAULT_ADAPTER);
  }

  /** Like {@link #load(CausalLM, Path)} with a chosen adapter name. */
  public static LoraModel load(CausalLM model, Path dir, String name) {
    LoraModel m = new LoraModel(model);
    try {
      m.loadAdapter(dir, name);
      m.setActive(name);
      return m;
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  // ------------------------------------------------------------------ adapters

  /**
   * Adds a fresh adapter (not active until {@link #setActive}); A and B are initialised as {@code
   * config.initLoraWeights()} says, from a Java RNG seeded with {@code seed}.
   *
   * @throws IllegalArgumentException if the name is taken or invalid, or a target matches nothing
   */
  public synchronized void addAdapter(String name, LoraConfig config, long seed) {
    checkOpen();
    adapters.checkNewName(name);
    LoraConfig resolved = targets.resolve(config);
    LoraAdapter a = new LoraAdapter(name, resolved);
    try {
      SplittableRandom rng = new SplittableRandom(seed);
      for (Linear l : targets.targets(resolved)) {
        a.layers.put(l.path(), LoraLayer.init(l, resolved, rng, manager));
      }
      for (Linear l : targets.modulesToSave(resolved)) {
        a.copies.put(l.path(), SavedModule.copyOf(l, manager));
      }
    } catch (RuntimeException e) {
      a.close();
      throw e;
    }
    adapters.add(a);
  }

  /**
   * Loads the PEFT adapter saved in {@code dir} ({@code adapter_config.json} and {@code
   * adapter_model.safetensors}) as {@code name}; not active until {@link #setActive}. With {@code
   * bias = all | lora_only} the saved biases overwrite the base biases, as in PEFT.
   *
   * @throws CheckpointException if a file is missing or does not fit this model
   */
  public synchronized void loadAdapter(Path dir, String name) {
    checkOpen();
    adapters.checkNewName(name);
    adapters.add(PeftAdapterFiles.read(model, targets, dir, name, manager));
  }

  /**
   * Makes {@code name} the adapter used in forward and returned by {@link #trainableParameters()};
   * the others stay loaded but frozen. If merged, unmerges first (as PEFT).
   */
  public synchronized void setActive(String name) {
    checkOpen();
    adapters.require(name);
    if (adapters.isMerged() && !name.equals(adapters.activeName())) {
      LOG.warn(
          "adapter {} is merged; unmerging it before activating {}", adapters.activeName(), name);
      unmerge();
    }
    adapters.activate(name);
  }

  /**
   * Removes adapter {@code name} and frees its arrays. If it was active, the first remaining
   * adapter (if any) becomes active.
   */
  public synchronized void deleteAdapter(String name) {
    checkOpen();
    adapters.require(name);
    if (name.equals(adapters.activeName()) && adapters.isMerged()) {
      unmerge();
    }
    adapters.delete(name);
  }

  /** Adapter names in the order they were added. */
  public List<String> adapterNames() {
    return adapters.names();
  }

  /** The active adapter's name, or null when none is loaded. */
  public String activeAdapter() {
    return adapters.activeName();
  }

  /**
   * The configuration of adapter {@code name} as injected (targets resolved, fan_in_fan_out set).
   */
  public LoraConfig config(String name) {
    return adapters.require(name).config;
  }

  /** Modules (HF paths) that adapter {@code name} adapts with A and B, in model order. */
  public List<String> adaptedModules(String name) {
    return List.copyOf(adapters.require(name).layers.keySet());
  }

  /** The wrapped model. */
  public CausalLM model() {
    return model;
  }

  // ------------------------------------------------------------------ switching

  /**
   * Turns every adapter off <em>for the calling thread</em> until the returned handle is closed
   * (also when an exception leaves the try block). While off, every adapted layer returns its base
   * output in this thread's forward passes, so with {@code bias = none} the model is bitwise the
   * base model and no base weight is copied.
   *
   * <p>The switch is per thread: while thread A is inside the block, a forward pass on thread B
   * (outside one) still applies the active adapter, in the same instant. So one model can serve
   * rollouts on one thread and reference passes on another. Handles nest: a thread has adapters on
   * again when its last handle closes. Close each handle on the thread that opened it (a
   * try-with-resources block does). While any thread holds a handle, {@link #merge()} and {@link
   * #mergeAndSave} are refused. If the active adapter is merged it is unmerged first (which changes
   * the shared weights: do not merge while other threads run forward passes) and merged again when
   * the last handle on any thread closes (two passes over the adapted weights, as PEFT also
   * unmerges).
   *
   * <pre>{@code
   * try (NoGrad ng = NoGrad.enter(); var off = policy.adaptersDisabled()) {
   *   refLogits = model.forward(ids, mask).logits();
   * }
   * }</pre>
   */
  public synchronized Restore adaptersDisabled() {
    checkOpen();
    if (adapters.isMerged()) {
      unmerge();
      remergeWhenOn = true;
    }
    AdapterSwitch.Depth depth = adapterSwitch.open();
    return new Restore() {
      private boolean done;

      @Override
      public void close() {
        synchronized (LoraModel.this) {
          if (done) {
            return;
          }
          done = true;
          boolean last = adapterSwitch.close(depth);
          if (last && remergeWhenOn) {
            remergeWhenOn = false;
            if (!closed && !adapters.isMerged() && adapters.activeName() != null) {
              merge();
            }
          }
        }
      }
    };
  }

  /** Whether adapters are on for the calling thread (it holds no {@link #adaptersDisabled()}). */
  public boolean adaptersEnabled() {
    return !adapterSwitch.offHere();
  }

  // ------------------------------------------------------------------ merge

  /**
   * Adds the active adapter's ΔW = B·A·scaling into each adapted base weight, so inference costs no
   * more than the base model; forward then skips the adapter. Merging twice does nothing.
   *
   * @throws IllegalStateException if no adapter is active, adapters are off on any thread, or an
   *     adapted module shares its weight with another (a tied LM head) or is quantised
   */
  public synchronized void merge() {
    checkOpen();
    LoraAdapter a = adapters.requireActive("merge");
    checkAdaptersOn("merging");
    if (adapters.isMerged()) {
      LOG.warn("adapter {} is already merged", a.name);
      return;
    }
    LoraMerge.checkMergeable(model, a, targets, "merge");
    LoraMerge.merge(a, targets);
    adapters.setMerged(true);
  }

  /** Subtracts the merged ΔW again (restores the base weights up to float rounding). */
  public synchronized void unmerge() {
    checkOpen();
    if (!adapters.isMerged()) {
      LOG.warn("nothing is merged");
      return;
    }
    LoraMerge.unmerge(adapters.requireActive("unmerge"), targets);
    adapters.setMerged(false);
  }

  /** Whether the active adapter is merged into the base weights. */
  public boolean isMerged() {
    return adapters.isMerged();
  }

  /**
   * Writes a standalone HF checkpoint of the base model with the active adapter merged in (and its
   * modules_to_save copies in place of the originals), like PEFT's {@code merge_and_unload()}
   * followed by {@code save_pretrained}. The live model is not changed.
   *
   * @throws IllegalStateException as {@link #merge()}, or if a trained copy of a tied LM head
   *     cannot be stored
   */
  public synchronized void mergeAndSave(Path out) throws IOException {
    checkOpen();
    LoraAdapter a = adapters.requireActive("mergeAndSave");
    checkAdaptersOn("mergeAndSave");
    LoraMerge.mergeAndSave(model, a, targets, adapters.isMerged(), out);
  }

  private void checkAdaptersOn(String what) {
    if (adapterSwitch.anyOff()) {
      throw new IllegalStateException(
          "adapters are disabled (an adaptersDisabled() handle is open on this or another"
              + " thread); close the adaptersDisabled() handle before "
              + what);
    }
  }

  // ------------------------------------------------------------------ training

  /**
   * The active adapter's trainable arrays, marked as requiring gradients, by PEFT's in-memory names
   * ({@code base_model.model.<path>.lora_A.<adapter>.weight}, {@code ...lora_B...}, then {@code
   * <path>.modules_to_save.<adapter>.weight|bias}, then trainable biases), in model order. Empty
   * when no adapter is loaded.
   */
  public synchronized LinkedHashMap<String, NDArray> trainableParameters() {
    checkOpen();
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    if (adapters.activeName() == null) {
      return out;
    }
    LoraAdapter a = adapters.requireActive("list trainable parameters");
    for (Map.Entry<String, LoraLayer> e : a.layers.entrySet()) {
      out.put(KEY_PREFIX + e.getKey() + ".lora_A." + a.name + ".weight", e.getValue().a());
      out.put(KEY_PREFIX + e.getKey() + ".lora_B." + a.name + ".weight", e.getValue().b());
    }
    for (Map.Entry<String, SavedModule> e : a.copies.entrySet()) {
      String p = KEY_PREFIX + e.getKey() + ".modules_to_save." + a.name;
      out.put(p + ".weight", e.getValue().weight());
      if (e.getValue().bias() != null) {
        out.put(p + ".bias", e.getValue().bias());
      }
    }
    for (Map.Entry<String, String> e : adapters.trainableBiases(a).entrySet()) {
      out.put(KEY_PREFIX + e.getValue(), model.parameters().get(e.getKey()));
    }
    for (NDArray p : out.values()) {
      if (!p.hasGradient()) {
        p.setRequiresGradient(true);
      }
    }
    return out;
  }

  /** Trainable versus all parameters, like PEFT's {@code print_trainable_parameters()}. */
  public synchronized TrainableReport trainableReport() {
    checkOpen();
    long trainable = 0;
    if (adapters.activeName() != null) {
      LoraAdapter a = adapters.requireActive("count parameters");
      trainable += a.size();
      for (String p : adapters.trainableBiases(a).keySet()) {
        trainable += model.parameters().get(p).size();
      }
    }
    long total = model.parameterCount();
    for (LoraAdapter a : adapters.all()) {
      total += a.size();
    }
    return new TrainableReport(trainable, total);
  }

  /**
   * Native arrays and bytes held by the base model's manager and by the adapters, plus {@code
   * optimizerBytes} from the caller (e.g. 2 × adapter bytes for AdamW's moments).
   */
  public synchronized MemoryReport memoryReport(long optimizerBytes) {
    checkOpen();
    long[] base = count(model.manager());
    long[] adapter = count(manager);
    return new MemoryReport(base[0], base[1], adapter[0], adapter[1], optimizerBytes);
  }

  private static long[] count(NDManager m) {
    long arrays = 0;
    long bytes = 0;
    for (NDArray a : m.getManagedArrays()) {
      if (a.isReleased()) {
        continue;
      }
      arrays++;
      bytes += a.size() * a.getDataType().getNumOfBytes();
    }
    return new long[] {arrays, bytes};
  }

  // ------------------------------------------------------------------ save

  /**
   * Saves every adapter in PEFT's format: {@value #DEFAULT_ADAPTER} in {@code dir}, the others in
   * {@code dir/<name>/}; each folder holds {@code adapter_config.json} and {@code
   * adapter_model.safetensors} with keys like {@code
   * base_model.model.transformer.h.0.attn.c_attn.lora_A.weight} [r, in] and {@code lora_B} [out,
   * r].
   */
  public synchronized void save(Path dir) throws IOException {
    checkOpen();
    for (LoraAdapter a : adapters.all()) {
      saveAdapter(a.name, PeftAdapterFiles.folder(dir, a.name));
    }
  }

  /** Saves adapter {@code name} alone into {@code dir} (no sub-folder). */
  public synchronized void saveAdapter(String name, Path dir) throws IOException {
    checkOpen();
    LoraAdapter a = adapters.require(name);
    PeftAdapterFiles.write(model, a, adapters.trainableBiases(a), targets, dir);
  }

  // ------------------------------------------------------------------ lifecycle

  /** Unmerges, detaches every adapter, restores frozen biases and frees the adapter arrays. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    if (adapters.isMerged()) {
      unmerge();
    }
    adapters.clear();
    closed = true;
    manager.close();
  }

  // ------------------------------------------------------------------ internals

  /** PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING for the families rlhf4j runs. */
  private List<String> defaultTargets() {
    return Architectures.of(model.config()).defaultLoraTargets();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this LoraModel is closed");
    }
  }
}
