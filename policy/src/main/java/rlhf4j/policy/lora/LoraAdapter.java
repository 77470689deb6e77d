package rlhf4j.policy.lora;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One named adapter: its resolved config, a {@link LoraLayer} per adapted module and a {@link
 * SavedModule} per modules_to_save entry, both keyed by the module's HF path in model order.
 */
final class LoraAdapter {
  final String name;
  final LoraConfig config;
  final Map<String, LoraLayer> layers = new LinkedHashMap<>(); // module path → A, B
  final Map<String, SavedModule> copies = new LinkedHashMap<>(); // module path → copy

  LoraAdapter(String name, LoraConfig config) {
    this.name = name;
    this.config = config;
  }

  /** Elements of every A, B and module copy (base biases not included). */
  long size() {
    long n = 0;
    for (LoraLayer l : layers.values()) {
      n += l.size();
    }
    for (SavedModule c : copies.values()) {
      n += c.size();
    }
    return n;
  }

  /** Marks every array of this adapter as trainable or frozen. */
  void setTrainable(boolean on) {
    layers.values().forEach(l -> l.setTrainable(on));
    copies.values().forEach(c -> c.setTrainable(on));
  }

  void close() {
    layers.values().forEach(LoraLayer::close);
    copies.values().forEach(SavedModule::close);
  }

  static void setTrainable(NDArray a, boolean on) {
    if (a.hasGradient() != on) {
      a.setRequiresGradient(on);
    }
  }
}
