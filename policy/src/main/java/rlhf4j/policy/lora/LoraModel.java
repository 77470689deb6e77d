package rlhf4j.policy.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import rlhf4j.policy.family.Architectures;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.io.TensorData;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.Linear;
import rlhf4j.policy.model.Scalars;

/**
 * LoRA adapters on a {@link CausalLM}, with PEFT's semantics: a frozen base, one or more named
 * adapters of which one is active, switching them off, merging into the base weights, and PEFT's
 * file format.
 *
 * <p>Forward of an adapted linear layer: {@code y = x·Wᵀ + b + (dropout(x)·Aᵀ)·Bᵀ · scaling}, with
 * A (r, in), B (out, r), dropout only in training. With adapters off, or with no active adapter,
 * the layer returns the base output itself, so with {@code bias = none} the logits are bitwise the
 * base model's. With {@code bias = all} or {@code lora_only} the biases are base weights that
 * train, so adapters off is then <em>not</em> the original model (PEFT warns the same).
 *
 * <p>Adapter arrays live in this object's manager; {@link #close()} detaches every adapter,
 * unmerges and frees them, and leaves the base model open. One LoraModel per CausalLM.
 */
public final class LoraModel implements AutoCloseable {
  /** PEFT's default adapter name; saved in the folder itself, other adapters in sub-folders. */
  public static final String DEFAULT_ADAPTER = "default";

  /** Prefix of PEFT's state-dict keys for a PeftModelForCausalLM. */
  public static final String KEY_PREFIX = "base_model.model.";

  private static final Logger LOG = LoggerFactory.getLogger(LoraModel.class);
  private static final Pattern ANY_LAYER_INDEX = Pattern.compile(".*\\.[^.]*\\.(\\d+)\\.");

  /** A and B of one adapted module. */
  private record LoraWeights(NDArray a, NDArray b, float scaling, float dropout) {}

  /** A trainable copy of a whole linear module (PEFT's modules_to_save). */
  private record ModuleCopy(NDArray weight, NDArray bias) {}

  /** One named adapter. */
  private static final class Adapter {
    final String name;
    final LoraConfig config;
    final Map<String, LoraWeights> lora = new LinkedHashMap<>(); // module path → weights
    final Map<String, ModuleCopy> copies = new LinkedHashMap<>(); // module path → copy

    Adapter(String name, LoraConfig config) {
      this.name = name;
      this.config = config;
    }

    void close() {
      for (LoraWeights w : lora.values()) {
        w.a().close();
        w.b().close();
      }
      for (ModuleCopy c : copies.values()) {
        c.weight().close();
        if (c.bias() != null) {
          c.bias().close();
        }
      }
    }
  }

  /** Undoes {@link #adaptersDisabled()}; closing twice does nothing. */
  public interface Restore extends AutoCloseable {
    @Override
    void close();
  }

  private final CausalLM model;
  private final NDManager manager;
  private final Map<String, Linear> modules = new LinkedHashMap<>(); // path → linear, model order
  private final Map<String, Adapter> adapters = new LinkedHashMap<>();
  private final Map<String, Hook> hooks = new LinkedHashMap<>();
  private String active;
  private boolean disabled;
  private boolean merged;
  private boolean closed;

  private LoraModel(CausalLM model) {
    this.model = model;
    for (Linear l : model.linears()) {
      modules.put(l.path(), l);
    }
    modules.put(model.lmHead().path(), model.lmHead());
    for (Linear l : modules.values()) {
      if (l.adapter() != null) {
        throw new IllegalStateException(
            "module "
                + l.path()
                + " already has an adapter attached; wrap each CausalLM in one LoraModel only");
      }
    }
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
  public void addAdapter(String name, LoraConfig config, long seed) {
    checkOpen();
    checkNewName(name);
    LoraConfig resolved = resolve(config);
    Adapter a = new Adapter(name, resolved);
    try {
      SplittableRandom rng = new SplittableRandom(seed);
      for (Linear l : targets(resolved)) {
        int rank = resolved.rankFor(l.path());
        long in = l.inFeatures();
        long out = l.outFeatures();
        float[] av = new float[Math.toIntExact(rank * in)];
        float[] bv = new float[Math.toIntExact(out * rank)];
        switch (resolved.initLoraWeights()) {
          case GAUSSIAN:
            for (int i = 0; i < av.length; i++) {
              av[i] = (float) (gaussian(rng) / rank); // std 1/r
            }
            break;
          case RANDOM:
            uniform(rng, av, 1 / Math.sqrt(in));
            uniform(rng, bv, 1 / Math.sqrt(rank)); // nn.Linear default: fan_in = r
            break;
          default:
            uniform(rng, av, 1 / Math.sqrt(in)); // kaiming_uniform(a=√5): U(−1/√in, 1/√in)
        }
        a.lora.put(
            l.path(),
            weights(
                manager.create(av, new Shape(rank, in)),
                manager.create(bv, new Shape(out, rank)),
                resolved,
                l.path()));
      }
      for (Linear l : modulesToSave(resolved)) {
        NDArray w = l.weight().duplicate();
        w.attach(manager);
        NDArray b = null;
        if (l.bias() != null) {
          b = l.bias().duplicate();
          b.attach(manager);
        }
        a.copies.put(l.path(), new ModuleCopy(w, b));
      }
    } catch (RuntimeException e) {
      a.close();
      throw e;
    }
    register(a);
  }

  /**
   * Loads the PEFT adapter saved in {@code dir} ({@code adapter_config.json} and {@code
   * adapter_model.safetensors}) as {@code name}; not active until {@link #setActive}. With {@code
   * bias = all | lora_only} the saved biases overwrite the base biases, as in PEFT.
   *
   * @throws CheckpointException if a file is missing or does not fit this model
   */
  public void loadAdapter(Path dir, String name) {
    checkOpen();
    checkNewName(name);
    AdapterConfigFile.Read read = AdapterConfigFile.read(dir);
    Path file = dir.resolve(AdapterConfigFile.WEIGHTS);
    if (!Files.isRegularFile(file)) {
      String bin =
          Files.isRegularFile(dir.resolve("adapter_model.bin"))
              ? " (it has adapter_model.bin, which rlhf4j does not read: re-save with PEFT's"
                  + " save_pretrained(safe_serialization=True))"
              : "";
      throw CheckpointException.of(
          dir, "has " + AdapterConfigFile.CONFIG + " but no " + AdapterConfigFile.WEIGHTS + bin);
    }
    SafeTensors.Contents contents = SafeTensors.read(file);
    LoraConfig resolved;
    List<Linear> targets;
    List<Linear> copies;
    try {
      resolved = resolve(read.config());
      targets = targets(resolved);
      copies = modulesToSave(resolved);
    } catch (IllegalArgumentException e) {
      throw new CheckpointException(
          dir.resolve(AdapterConfigFile.CONFIG)
              + ": "
              + e.getMessage()
              + architectureHint(contents, read.config()),
          e);
    }
    Set<String> unused = new LinkedHashSet<>(contents.tensors().keySet());
    Adapter a = new Adapter(name, resolved);
    Map<NDArray, NDArray> biasUpdates = new LinkedHashMap<>();
    try {
      for (Linear l : targets) {
        int rank = resolved.rankFor(l.path());
        String keyA = KEY_PREFIX + l.path() + ".lora_A.weight";
        String keyB = KEY_PREFIX + l.path() + ".lora_B.weight";
        TensorData ta = tensor(contents, keyA, l, resolved);
        TensorData tb = tensor(contents, keyB, l, resolved);
        checkShape(file, ta, new long[] {rank, l.inFeatures()}, l, "r", rank);
        checkShape(file, tb, new long[] {l.outFeatures(), rank}, l, "r", rank);
        unused.remove(keyA);
        unused.remove(keyB);
        a.lora.put(
            l.path(), weights(ta.toNDArray(manager), tb.toNDArray(manager), resolved, l.path()));
      }
      for (Linear l : copies) {
        String keyW = KEY_PREFIX + l.path() + ".weight";
        TensorData tw = contents.get(keyW);
        long[] hfShape =
            l.hfTransposed()
                ? new long[] {l.inFeatures(), l.outFeatures()}
                : new long[] {l.outFeatures(), l.inFeatures()};
        checkShape(file, tw, hfShape, l, null, 0);
        NDArray w = tw.toNDArray(manager);
        if (l.hfTransposed()) {
          NDArray t = w.transpose().flatten().reshape(l.weight().getShape());
          w.close();
          w = t;
        }
        unused.remove(keyW);
        NDArray b = null;
        if (l.bias() != null) {
          String keyB = KEY_PREFIX + l.path() + ".bias";
          TensorData tb = contents.get(keyB);
          checkShape(file, tb, l.bias().getShape().getShape(), l, null, 0);
          b = tb.toNDArray(manager);
          unused.remove(keyB);
        }
        a.copies.put(l.path(), new ModuleCopy(w, b));
      }
      if (resolved.bias() != LoraConfig.Bias.NONE) {
        for (String key : new ArrayList<>(unused)) {
          if (!key.startsWith(KEY_PREFIX) || !key.endsWith(".bias")) {
            continue;
          }
          String param = key.substring(KEY_PREFIX.length()).replace(".base_layer.bias", ".bias");
          NDArray base = model.parameters().get(param);
          if (base == null) {
            continue; // reported as unexpected below
          }
          TensorData t = contents.get(key);
          checkShape(file, t, base.getShape().getShape(), null, null, 0);
          biasUpdates.put(base, t.toNDArray(manager));
          unused.remove(key);
        }
      }
      if (!unused.isEmpty()) {
        throw CheckpointException.of(
            file,
            "has "
                + unused.size()
                + " tensor(s) this config does not produce for this model: "
                + abbreviate(new ArrayList<>(new TreeSet<>(unused)))
                + " (an adapter for another architecture, or target_modules / layers_to_transform"
                + " in adapter_config.json do not match the weights)");
      }
      for (Map.Entry<NDArray, NDArray> e : biasUpdates.entrySet()) {
        e.getKey().set(e.getValue().toByteBuffer());
      }
    } catch (RuntimeException e) {
      a.close();
      throw e;
    } finally {
      biasUpdates.values().forEach(NDArray::close);
    }
    register(a);
  }

  /**
   * Makes {@code name} the adapter used in forward and returned by {@link #trainableParameters()};
   * the others stay loaded but frozen. If merged, unmerges first (as PEFT).
   */
  public void setActive(String name) {
    checkOpen();
    requireAdapter(name);
    if (merged && !name.equals(active)) {
      LOG.warn("adapter {} is merged; unmerging it before activating {}", active, name);
      unmerge();
    }
    active = name;
    refreshTrainable();
  }

  /**
   * Removes adapter {@code name} and frees its arrays. If it was active, the first remaining
   * adapter (if any) becomes active.
   */
  public void deleteAdapter(String name) {
    checkOpen();
    requireAdapter(name);
    if (name.equals(active) && merged) {
      unmerge();
    }
    Adapter a = adapters.remove(name);
    a.close();
    Set<String> stillUsed = new LinkedHashSet<>();
    for (Adapter other : adapters.values()) {
      stillUsed.addAll(other.lora.keySet());
      stillUsed.addAll(other.copies.keySet());
    }
    for (String path : new ArrayList<>(hooks.keySet())) {
      if (!stillUsed.contains(path)) {
        modules.get(path).setAdapter(null);
        hooks.remove(path);
      }
    }
    if (name.equals(active)) {
      active = adapters.isEmpty() ? null : adapters.keySet().iterator().next();
    }
    refreshTrainable();
  }

  /** Adapter names in the order they were added. */
  public List<String> adapterNames() {
    return List.copyOf(adapters.keySet());
  }

  /** The active adapter's name, or null when none is loaded. */
  public String activeAdapter() {
    return active;
  }

  /**
   * The configuration of adapter {@code name} as injected (targets resolved, fan_in_fan_out set).
   */
  public LoraConfig config(String name) {
    return requireAdapter(name).config;
  }

  /** Modules (HF paths) that adapter {@code name} adapts with A and B, in model order. */
  public List<String> adaptedModules(String name) {
    return List.copyOf(requireAdapter(name).lora.keySet());
  }

  /** The wrapped model. */
  public CausalLM model() {
    return model;
  }

  // ------------------------------------------------------------------ switching

  /**
   * Turns every adapter off until the returned handle is closed, which restores the previous state
   * (also when an exception leaves the try block). While off, every adapted layer returns its base
   * output, so with {@code bias = none} the model is bitwise the base model and no base weight is
   * copied. If the active adapter is merged it is unmerged first and merged again on close (two
   * passes over the adapted weights, as PEFT also unmerges).
   *
   * <pre>{@code
   * try (var off = policy.adaptersDisabled()) {
   *   refLogits = model.forward(ids, mask).logits();
   * }
   * }</pre>
   */
  public Restore adaptersDisabled() {
    checkOpen();
    boolean wasDisabled = disabled;
    boolean wasMerged = merged;
    if (merged) {
      unmerge();
    }
    disabled = true;
    return new Restore() {
      private boolean done;

      @Override
      public void close() {
        if (done) {
          return;
        }
        done = true;
        disabled = wasDisabled;
        if (wasMerged && !merged && active != null && !closed) {
          merge();
        }
      }
    };
  }

  /** Whether adapters are currently on (not inside {@link #adaptersDisabled()}). */
  public boolean adaptersEnabled() {
    return !disabled;
  }

  // ------------------------------------------------------------------ merge

  /**
   * Adds the active adapter's ΔW = B·A·scaling into each adapted base weight, so inference costs no
   * more than the base model; forward then skips the adapter. Merging twice does nothing.
   *
   * @throws IllegalStateException if no adapter is active, adapters are off, or an adapted module
   *     shares its weight with another (a tied LM head)
   */
  public void merge() {
    checkOpen();
    Adapter a = requireActive("merge");
    if (disabled) {
      throw new IllegalStateException(
          "adapters are disabled; close the adaptersDisabled() handle before merging");
    }
    if (merged) {
      LOG.warn("adapter {} is already merged", active);
      return;
    }
    checkNoTiedHead(a, "merge");
    checkNotQuantized(a, "merge");
    try (NDScope scope = new NDScope()) {
      for (Map.Entry<String, LoraWeights> e : a.lora.entrySet()) {
        modules.get(e.getKey()).weight().addi(delta(e.getValue()));
      }
    }
    merged = true;
  }

  /** Subtracts the merged ΔW again (restores the base weights up to float rounding). */
  public void unmerge() {
    checkOpen();
    if (!merged) {
      LOG.warn("nothing is merged");
      return;
    }
    Adapter a = adapters.get(active);
    try (NDScope scope = new NDScope()) {
      for (Map.Entry<String, LoraWeights> e : a.lora.entrySet()) {
        modules.get(e.getKey()).weight().subi(delta(e.getValue()));
      }
    }
    merged = false;
  }

  /** Whether the active adapter is merged into the base weights. */
  public boolean isMerged() {
    return merged;
  }

  /**
   * Writes a standalone HF checkpoint of the base model with the active adapter merged in (and its
   * modules_to_save copies in place of the originals), like PEFT's {@code merge_and_unload()}
   * followed by {@code save_pretrained}. The live model is not changed.
   */
  public void mergeAndSave(Path out) throws IOException {
    checkOpen();
    Adapter a = requireActive("mergeAndSave");
    if (disabled) {
      throw new IllegalStateException(
          "adapters are disabled; close the adaptersDisabled() handle before mergeAndSave");
    }
    checkNoTiedHead(a, "mergeAndSave");
    checkNotQuantized(a, "mergeAndSave");
    if (model.config().tieWordEmbeddings() && a.copies.containsKey(model.lmHead().path())) {
      throw new IllegalStateException(
          "modules_to_save holds a trained lm_head but this model ties lm_head to the token"
              + " embedding, so a standalone checkpoint cannot hold both; save the adapter instead");
    }
    try (NDScope scope = new NDScope();
        NDManager none = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>(model.parameters());
      if (!merged) {
        for (Map.Entry<String, LoraWeights> e : a.lora.entrySet()) {
          Linear l = modules.get(e.getKey());
          params.put(l.path() + ".weight", l.weight().add(delta(e.getValue())));
        }
      }
      for (Map.Entry<String, ModuleCopy> e : a.copies.entrySet()) {
        params.put(e.getKey() + ".weight", e.getValue().weight());
        if (e.getValue().bias() != null) {
          params.put(e.getKey() + ".bias", e.getValue().bias());
        }
      }
      HfCheckpoint.save(new CausalLM(model.config(), none, params), out);
    }
  }

  // ------------------------------------------------------------------ training

  /**
   * The active adapter's trainable arrays, marked as requiring gradients, by PEFT's in-memory names
   * ({@code base_model.model.<path>.lora_A.<adapter>.weight}, {@code ...lora_B...}, then {@code
   * <path>.modules_to_save.<adapter>.weight|bias}, then trainable biases), in model order. Empty
   * when no adapter is loaded.
   */
  public LinkedHashMap<String, NDArray> trainableParameters() {
    checkOpen();
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    if (active == null) {
      return out;
    }
    Adapter a = adapters.get(active);
    for (Map.Entry<String, LoraWeights> e : a.lora.entrySet()) {
      out.put(KEY_PREFIX + e.getKey() + ".lora_A." + a.name + ".weight", e.getValue().a());
      out.put(KEY_PREFIX + e.getKey() + ".lora_B." + a.name + ".weight", e.getValue().b());
    }
    for (Map.Entry<String, ModuleCopy> e : a.copies.entrySet()) {
      String p = KEY_PREFIX + e.getKey() + ".modules_to_save." + a.name;
      out.put(p + ".weight", e.getValue().weight());
      if (e.getValue().bias() != null) {
        out.put(p + ".bias", e.getValue().bias());
      }
    }
    for (Map.Entry<String, String> e : trainableBiases(a).entrySet()) {
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
  public TrainableReport trainableReport() {
    checkOpen();
    long trainable = 0;
    if (active != null) {
      Adapter a = adapters.get(active);
      for (LoraWeights w : a.lora.values()) {
        trainable += w.a().size() + w.b().size();
      }
      for (ModuleCopy c : a.copies.values()) {
        trainable += c.weight().size() + (c.bias() == null ? 0 : c.bias().size());
      }
      for (String p : trainableBiases(a).keySet()) {
        trainable += model.parameters().get(p).size();
      }
    }
    long total = model.parameterCount();
    for (Adapter a : adapters.values()) {
      for (LoraWeights w : a.lora.values()) {
        total += w.a().size() + w.b().size();
      }
      for (ModuleCopy c : a.copies.values()) {
        total += c.weight().size() + (c.bias() == null ? 0 : c.bias().size());
      }
    }
    return new TrainableReport(trainable, total);
  }

  /**
   * Native arrays and bytes held by the base model's manager and by the adapters, plus {@code
   * optimizerBytes} from the caller (e.g. 2 × adapter bytes for AdamW's moments).
   */
  public MemoryReport memoryReport(long optimizerBytes) {
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
  public void save(Path dir) throws IOException {
    checkOpen();
    for (Adapter a : adapters.values()) {
      saveAdapter(a.name, a.name.equals(DEFAULT_ADAPTER) ? dir : dir.resolve(a.name));
    }
  }

  /** Saves adapter {@code name} alone into {@code dir} (no sub-folder). */
  public void saveAdapter(String name, Path dir) throws IOException {
    checkOpen();
    Adapter a = requireAdapter(name);
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    try (NDScope scope = new NDScope()) {
      for (Map.Entry<String, LoraWeights> e : a.lora.entrySet()) {
        tensors.put(KEY_PREFIX + e.getKey() + ".lora_A.weight", e.getValue().a());
        tensors.put(KEY_PREFIX + e.getKey() + ".lora_B.weight", e.getValue().b());
      }
      for (Map.Entry<String, ModuleCopy> e : a.copies.entrySet()) {
        Linear l = modules.get(e.getKey());
        NDArray w = e.getValue().weight();
        if (l.hfTransposed()) {
          w = w.transpose().flatten().reshape(l.inFeatures(), l.outFeatures());
        }
        tensors.put(KEY_PREFIX + e.getKey() + ".weight", w);
        if (e.getValue().bias() != null) {
          tensors.put(KEY_PREFIX + e.getKey() + ".bias", e.getValue().bias());
        }
      }
      for (Map.Entry<String, String> e : trainableBiases(a).entrySet()) {
        tensors.put(KEY_PREFIX + e.getValue(), model.parameters().get(e.getKey()));
      }
      Files.createDirectories(dir);
      SafeTensors.write(dir.resolve(AdapterConfigFile.WEIGHTS), tensors, Map.of("format", "pt"));
    }
    AdapterConfigFile.write(a.config, dir);
  }

  // ------------------------------------------------------------------ lifecycle

  /** Unmerges, detaches every adapter, restores frozen biases and frees the adapter arrays. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (merged) {
      unmerge();
    }
    for (Map.Entry<String, Hook> e : hooks.entrySet()) {
      modules.get(e.getKey()).setAdapter(null);
    }
    hooks.clear();
    adapters.values().forEach(Adapter::close);
    adapters.clear();
    active = null;
    refreshTrainable();
    closed = true;
    manager.close();
  }

  // ------------------------------------------------------------------ internals

  /** The function attached to each adapted Linear. */
  private final class Hook implements Linear.Adapter {
    private final String path;

    Hook(String path) {
      this.path = path;
    }

    @Override
    public NDArray apply(NDArray x, NDArray baseOut, boolean training) { // x (..., in)
      if (disabled || active == null) {
        return baseOut; // the base output itself: adapters off is bitwise the base
      }
      Adapter a = adapters.get(active);
      ModuleCopy copy = a.copies.get(path);
      if (copy != null) {
        return ai.djl.nn.core.Linear.linear(x, copy.weight(), copy.bias()).singletonOrThrow();
      }
      LoraWeights w = a.lora.get(path);
      if (w == null || merged) {
        return baseOut;
      }
      NDArray h =
          training && w.dropout() > 0
              ? Dropout.dropout(x, w.dropout(), true).singletonOrThrow()
              : x;
      NDArray down = ai.djl.nn.core.Linear.linear(h, w.a(), null).singletonOrThrow(); // (..., r)
      NDArray up = ai.djl.nn.core.Linear.linear(down, w.b(), null).singletonOrThrow(); // (.., out)
      return baseOut.add(Scalars.mul(up, w.scaling()));
    }
  }

  private static LoraWeights weights(NDArray a, NDArray b, LoraConfig c, String path) {
    return new LoraWeights(a, b, (float) c.scalingFor(path), (float) c.loraDropout());
  }

  /** ΔW = B·A·scaling // (out, in). */
  private static NDArray delta(LoraWeights w) {
    return Scalars.mul(w.b().matMul(w.a()), w.scaling());
  }

  private void register(Adapter a) {
    if (a.config.bias() != LoraConfig.Bias.NONE) {
      for (Adapter other : adapters.values()) {
        if (other.config.bias() != LoraConfig.Bias.NONE) {
          a.close();
          throw new IllegalArgumentException(
              "adapter "
                  + other.name
                  + " already trains biases (bias="
                  + other.config.bias().peftName()
                  + "); only one adapter may set bias other than \"none\" (as in PEFT)");
        }
      }
    }
    adapters.put(a.name, a);
    Set<String> paths = new LinkedHashSet<>(a.lora.keySet());
    paths.addAll(a.copies.keySet());
    for (String p : paths) {
      hooks.computeIfAbsent(
          p,
          k -> {
            Hook h = new Hook(k);
            modules.get(k).setAdapter(h);
            return h;
          });
    }
    refreshTrainable();
  }

  /** Active adapter's arrays (and biases) require gradients, everything else not. */
  private void refreshTrainable() {
    for (Adapter a : adapters.values()) {
      boolean on = a.name.equals(active);
      for (LoraWeights w : a.lora.values()) {
        setTrainable(w.a(), on);
        setTrainable(w.b(), on);
      }
      for (ModuleCopy c : a.copies.values()) {
        setTrainable(c.weight(), on);
        if (c.bias() != null) {
          setTrainable(c.bias(), on);
        }
      }
    }
    Set<String> biases = active == null ? Set.of() : trainableBiases(adapters.get(active)).keySet();
    for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
      if (e.getKey().endsWith(".bias")) {
        setTrainable(e.getValue(), biases.contains(e.getKey()));
      }
    }
  }

  private static void setTrainable(NDArray a, boolean on) {
    if (a.hasGradient() != on) {
      a.setRequiresGradient(on);
    }
  }

  /**
   * Base biases the adapter trains, model parameter name → PEFT key without the prefix ({@code
   * <path>.base_layer.bias} for adapted modules, as PEFT's state dict names them).
   */
  private Map<String, String> trainableBiases(Adapter a) {
    Map<String, String> out = new LinkedHashMap<>();
    if (a.config.bias() == LoraConfig.Bias.NONE) {
      return out;
    }
    Set<String> wrapped = new LinkedHashSet<>(); // modules PEFT wraps as LoRA layers
    for (Adapter other : adapters.values()) {
      wrapped.addAll(other.lora.keySet());
    }
    wrapped.addAll(a.lora.keySet());
    for (String p : model.parameters().keySet()) {
      if (!p.endsWith(".bias")) {
        continue;
      }
      String module = p.substring(0, p.length() - ".bias".length());
      boolean adapted = a.lora.containsKey(module);
      if (a.config.bias() == LoraConfig.Bias.LORA_ONLY && !adapted) {
        continue;
      }
      if (a.copies.containsKey(module)) {
        continue; // the copy's own bias trains instead
      }
      out.put(p, wrapped.contains(module) ? module + ".base_layer.bias" : p);
    }
    return out;
  }

  /** Resolves default and all-linear targets to names and applies PEFT's fan_in_fan_out fix. */
  private LoraConfig resolve(LoraConfig c) {
    LoraConfig.Builder b = c.toBuilder();
    if (c.targetModules() == null && c.targetRegex() == null) {
      b.targetModules(defaultTargets());
    } else if (c.targetModules() != null && c.targetModules().contains(LoraConfig.ALL_LINEAR)) {
      Set<String> names = new TreeSet<>();
      for (Linear l : model.linears()) {
        names.add(l.shortName());
      }
      for (String t : c.targetModules()) {
        if (!t.equals(LoraConfig.ALL_LINEAR)) {
          names.add(t);
        }
      }
      b.targetModules(new ArrayList<>(names));
    }
    LoraConfig r = b.build();
    List<Linear> targets = targets(r);
    boolean conv1d = targets.stream().anyMatch(Linear::hfTransposed);
    if (conv1d && !r.fanInFanOut()) {
      LOG.info(
          "fan_in_fan_out is false but target modules are GPT-2 Conv1D; setting it to true (as"
              + " PEFT does)");
      r = r.toBuilder().fanInFanOut(true).build();
    } else if (!conv1d && r.fanInFanOut()) {
      LOG.warn(
          "fan_in_fan_out is true but the target modules are torch Linear; setting it to false"
              + " (as PEFT does)");
      r = r.toBuilder().fanInFanOut(false).build();
    }
    return r;
  }

  /** PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING for the families rlhf4j runs. */
  private List<String> defaultTargets() {
    return Architectures.of(model.config()).defaultLoraTargets();
  }

  /** The modules {@code c} adapts, in model order; every named target must match something. */
  private List<Linear> targets(LoraConfig c) {
    List<Linear> out = new ArrayList<>();
    if (c.targetRegex() != null) {
      Pattern p = Pattern.compile(c.targetRegex());
      for (Linear l : modules.values()) {
        if (p.matcher(l.path()).matches()) {
          out.add(l);
        }
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException(
            "target regex \""
                + c.targetRegex()
                + "\" matches no module path of this "
                + model.config().modelType()
                + " model (paths look like \""
                + model.linears().get(0).path()
                + "\"; the regex must match the whole path)");
      }
      return out;
    }
    List<String> unmatched = new ArrayList<>();
    for (String t : c.targetModules()) {
      boolean hit = false;
      for (Linear l : modules.values()) {
        if (matchesName(l.path(), t)) {
          hit = true;
        }
      }
      if (!hit) {
        unmatched.add(t);
      }
    }
    if (!unmatched.isEmpty()) {
      throw new IllegalArgumentException(
          "target module(s) "
              + unmatched
              + " match no module of this "
              + model.config().modelType()
              + " model; its linear modules are "
              + shortNames()
              + " and the LM head \""
              + model.lmHead().path()
              + "\" (names match the end of a module path)");
    }
    for (Linear l : modules.values()) {
      boolean named = c.targetModules().stream().anyMatch(t -> matchesName(l.path(), t));
      if (named && inLayers(l.path(), c)) {
        out.add(l);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "layersToTransform "
              + c.layersToTransform()
              + (c.layersPattern() == null
                  ? ""
                  : " with layersPattern \"" + c.layersPattern() + "\"")
              + " selects none of the targeted modules; this model has blocks 0.."
              + (model.config().numLayers() - 1));
    }
    for (Linear l : out) {
      if (c.modulesToSave().stream().anyMatch(m -> matchesName(l.path(), m))) {
        throw new IllegalArgumentException(
            "module "
                + l.path()
                + " is both a LoRA target and in modulesToSave; pick one of the two");
      }
    }
    return out;
  }

  /** PEFT's layers_to_transform rule: the index after the layer list's name must be listed. */
  private static boolean inLayers(String path, LoraConfig c) {
    if (c.layersToTransform() == null) {
      return true;
    }
    Matcher m =
        c.layersPattern() == null
            ? ANY_LAYER_INDEX.matcher(path)
            : Pattern.compile(".*\\." + c.layersPattern() + "\\.(\\d+)\\.").matcher(path);
    if (!m.lookingAt()) {
      return false;
    }
    return c.layersToTransform().contains(Integer.parseInt(m.group(1)));
  }

  private List<Linear> modulesToSave(LoraConfig c) {
    List<Linear> out = new ArrayList<>();
    for (String name : c.modulesToSave()) {
      boolean hit = false;
      for (Linear l : modules.values()) {
        if (matchesName(l.path(), name)) {
          hit = true;
          if (!out.contains(l)) {
            out.add(l);
          }
        }
      }
      if (!hit) {
        boolean nonLinear =
            model.parameters().keySet().stream()
                .anyMatch(p -> matchesName(p.substring(0, p.lastIndexOf('.')), name));
        throw new IllegalArgumentException(
            "modulesToSave \""
                + name
                + "\" "
                + (nonLinear
                    ? "names a module that is not a linear layer; rlhf4j copies linear modules only"
                    : "matches no module of this " + model.config().modelType() + " model")
                + " (linear modules: "
                + shortNames()
                + ", LM head \""
                + model.lmHead().path()
                + "\")");
      }
    }
    return out;
  }

  private static boolean matchesName(String path, String name) {
    return path.equals(name) || path.endsWith("." + name);
  }

  private Set<String> shortNames() {
    Set<String> s = new TreeSet<>();
    for (Linear l : model.linears()) {
      s.add(l.shortName());
    }
    return s;
  }

  private void checkNoTiedHead(Adapter a, String what) {
    if (model.config().tieWordEmbeddings() && a.lora.containsKey(model.lmHead().path())) {
      throw new IllegalStateException(
          "cannot "
              + what
              + ": the adapter targets "
              + model.lmHead().path()
              + ", whose weight is tied to the token embedding, so merging would change the input"
              + " embeddings too; keep the adapter unmerged or do not target the LM head");
    }
  }

  private void checkNotQuantized(Adapter a, String what) {
    for (String path : a.lora.keySet()) {
      Linear l = modules.get(path);
      if (l.isQuantized()) {
        throw new IllegalStateException(
            "cannot "
                + what
                + ": module "
                + path
                + " is stored as "
                + l.baseDtype()
                + ", and adding ΔW = B·A·scaling into a quantised weight would re-round the whole"
                + " weight (the merged model would differ from the trained one by the"
                + " quantisation error); keep the adapter unmerged, or save it and merge into the"
                + " float32 base (load with baseDtype fp32, load the adapter, merge)");
      }
    }
  }

  private String architectureHint(SafeTensors.Contents contents, LoraConfig c) {
    String example = contents.tensors().keySet().stream().findFirst().orElse("(no tensors)");
    return " (the adapter's tensors are named like \""
        + example
        + "\""
        + (c.baseModelNameOrPath() == null
            ? ""
            : ", base_model_name_or_path \"" + c.baseModelNameOrPath() + "\"")
        + "; this model's modules are named like \""
        + model.linears().get(0).path()
        + "\": an adapter made for another architecture?)";
  }

  private TensorData tensor(SafeTensors.Contents contents, String key, Linear l, LoraConfig c) {
    TensorData t = contents.tensors().get(key);
    if (t == null) {
      String example =
          contents.tensors().keySet().stream().findFirst().orElse("(the file has no tensors)");
      throw CheckpointException.of(
          contents.file(),
          "has no tensor '"
              + key
              + "' for target module "
              + l.path()
              + " (target_modules "
              + (c.targetRegex() != null ? c.targetRegex() : c.targetModules())
              + "); its tensors are named like '"
              + example
              + "': made for another architecture, or the config does not belong to the weights");
    }
    return t;
  }

  private static void checkShape(
      Path file, TensorData t, long[] expected, Linear l, String field, int value) {
    if (Arrays.equals(t.shape(), expected)) {
      return;
    }
    String why;
    if (field != null && t.shape().length == 2) {
      boolean rankSide =
          t.name().contains("lora_A") ? t.shape()[0] != value : t.shape()[1] != value;
      why =
          rankSide
              ? ": its rank does not match "
                  + field
                  + " = "
                  + value
                  + " in "
                  + AdapterConfigFile.CONFIG
                  + " (fix r / rank_pattern there, or use the matching weights)"
              : ": module "
                  + l.path()
                  + " of this model is (out "
                  + l.outFeatures()
                  + ", in "
                  + l.inFeatures()
                  + "): the adapter was made for a model of another size";
    } else {
      why = ": the adapter was made for a model of another size";
    }
    throw CheckpointException.of(
        file,
        "tensor '"
            + t.name()
            + "' has shape "
            + Arrays.toString(t.shape())
            + ", expected "
            + Arrays.toString(expected)
            + why);
  }

  private void checkNewName(String name) {
    if (name == null || name.isBlank() || !name.matches("[A-Za-z0-9_\\-]+")) {
      throw new IllegalArgumentException(
          "adapter name must be letters, digits, '_' or '-' (it becomes a key part and a folder"
              + " name), got \""
              + name
              + "\"");
    }
    if (adapters.containsKey(name)) {
      throw new IllegalArgumentException(
          "an adapter named \"" + name + "\" exists already; delete it first or pick another name");
    }
  }

  private Adapter requireAdapter(String name) {
    Adapter a = adapters.get(name);
    if (a == null) {
      throw new IllegalArgumentException(
          "no adapter named \"" + name + "\"; loaded: " + adapters.keySet());
    }
    return a;
  }

  private Adapter requireActive(String what) {
    if (active == null) {
      throw new IllegalStateException("cannot " + what + ": no adapter is loaded");
    }
    return adapters.get(active);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this LoraModel is closed");
    }
  }

  private static String abbreviate(List<String> names) {
    return names.size() <= 6
        ? names.toString()
        : names.subList(0, 6) + " and " + (names.size() - 6) + " more";
  }

  private static void uniform(SplittableRandom rng, float[] out, double bound) {
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) rng.nextDouble(-bound, bound);
    }
  }

  private static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}
