package rlhf4j.policy.lora;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.Linear;

/**
 * The named adapters of one {@link LoraModel}: which one is active (and whether it is merged), the
 * hook attached to each adapted {@link Linear}, and which arrays require gradients. A module keeps
 * its hook while any adapter adapts or copies it.
 *
 * <p>The hooks run on every thread that runs a forward pass; everything else runs under the owning
 * LoraModel's lock and must not overlap a forward pass (see {@link LoraModel}).
 */
final class AdapterRegistry {
  private final CausalLM model;
  private final LoraTargets targets;
  private final AdapterSwitch adapterSwitch;
  private final Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
  private final Map<String, Hook> hooks = new LinkedHashMap<>(); // path → attached hook
  private String active;
  private boolean merged;

  AdapterRegistry(CausalLM model, LoraTargets targets, AdapterSwitch adapterSwitch) {
    this.model = model;
    this.targets = targets;
    this.adapterSwitch = adapterSwitch;
  }

  /**
   * Checks that {@code name} can name a new adapter.
   *
   * @throws IllegalArgumentException if it is invalid or taken
   */
  void checkNewName(String name) {
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

  /**
   * Adds {@code a} (not active) and attaches hooks to the modules it adapts or copies; closes
   * {@code a} if it cannot be added.
   *
   * @throws IllegalArgumentException if {@code a} and another adapter both train biases
   */
  void add(LoraAdapter a) {
    if (a.config.bias() != LoraConfig.Bias.NONE) {
      for (LoraAdapter other : adapters.values()) {
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
    Set<String> paths = new LinkedHashSet<>(a.layers.keySet());
    paths.addAll(a.copies.keySet());
    for (String p : paths) {
      hooks.computeIfAbsent(
          p,
          k -> {
            Hook h = new Hook(k);
            targets.module(k).setAdapter(h);
            return h;
          });
    }
    refreshTrainable();
  }

  /**
   * The adapter named {@code name}.
   *
   * @throws IllegalArgumentException if none is
   */
  LoraAdapter require(String name) {
    LoraAdapter a = adapters.get(name);
    if (a == null) {
      throw new IllegalArgumentException(
          "no adapter named \"" + name + "\"; loaded: " + adapters.keySet());
    }
    return a;
  }

  /**
   * The active adapter.
   *
   * @throws IllegalStateException if none is loaded
   */
  LoraAdapter requireActive(String what) {
    if (active == null) {
      throw new IllegalStateException("cannot " + what + ": no adapter is loaded");
    }
    return adapters.get(active);
  }

  /** The active adapter's name, or null. */
  String activeName() {
    return active;
  }

  /** Makes the loaded adapter {@code name} active and the only trainable one (unmerged first). */
  void activate(String name) {
    active = name;
    refreshTrainable();
  }

  /** Whether the active adapter is merged into the base weights. */
  boolean isMerged() {
    return merged;
  }

  void setMerged(boolean merged) {
    this.merged = merged;
  }

  /**
   * Removes the (unmerged) adapter {@code name}, frees its arrays and detaches the hooks no other
   * adapter needs; if it was active, the first remaining adapter (if any) becomes active.
   */
  void delete(String name) {
    LoraAdapter a = adapters.remove(name);
    a.close();
    Set<String> stillUsed = new LinkedHashSet<>();
    for (LoraAdapter other : adapters.values()) {
      stillUsed.addAll(other.layers.keySet());
      stillUsed.addAll(other.copies.keySet());
    }
    for (String path : new ArrayList<>(hooks.keySet())) {
      if (!stillUsed.contains(path)) {
        targets.module(path).setAdapter(null);
        hooks.remove(path);
      }
    }
    if (name.equals(active)) {
      active = adapters.isEmpty() ? null : adapters.keySet().iterator().next();
    }
    refreshTrainable();
  }

  /** Adapter names in the order they were added. */
  List<String> names() {
    return List.copyOf(adapters.keySet());
  }

  /** Every adapter, in the order added. */
  Collection<LoraAdapter> all() {
    return adapters.values();
  }

  /** The base biases {@code a} trains (see {@link LoraTargets#trainableBiases}). */
  Map<String, String> trainableBiases(LoraAdapter a) {
    return targets.trainableBiases(a, adapters.values());
  }

  /** Detaches every hook, frees every (unmerged) adapter and freezes the base biases again. */
  void clear() {
    for (String path : hooks.keySet()) {
      targets.module(path).setAdapter(null);
    }
    hooks.clear();
    adapters.values().forEach(LoraAdapter::close);
    adapters.clear();
    active = null;
    refreshTrainable();
  }

  /** Active adapter's arrays (and biases) require gradients, everything else not. */
  private void refreshTrainable() {
    for (LoraAdapter a : adapters.values()) {
      a.setTrainable(a.name.equals(active));
    }
    Set<String> biases = active == null ? Set.of() : trainableBiases(adapters.get(active)).keySet();
    for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
      if (e.getKey().endsWith(".bias")) {
        LoraAdapter.setTrainable(e.getValue(), biases.contains(e.getKey()));
      }
    }
  }

  /**
   * The function attached to each adapted Linear: the active adapter's layer or copy, unless the
   * calling thread has adapters off.
   */
  private final class Hook implements Linear.Adapter {
    private final String path;

    Hook(String path) {
      this.path = path;
    }

    @Override
    public NDArray apply(NDArray x, NDArray baseOut, boolean training) { // x (..., in)
      String name = active;
      if (name == null || adapterSwitch.offHere()) {
        return baseOut; // the base output itself: adapters off is bitwise the base
      }
      LoraAdapter a = adapters.get(name);
      SavedModule copy = a.copies.get(path);
      if (copy != null) {
        return copy.forward(x);
      }
      LoraLayer layer = a.layers.get(path);
      if (layer == null || merged) {
        return baseOut;
      }
      return layer.forward(x, baseOut, training);
    }
  }
}
