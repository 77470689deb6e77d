package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import rlhf4j.policy.model.init.RandomInit;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.policy.quant.QuantizedWeight;

/**
 * A model's base parameters by HF name, some possibly stored quantised: checks them against the
 * family's specs, counts their bytes, freezes them, and quantises the frozen base in place. A
 * quantised weight's entry holds its codes; its scales live in the {@link QuantizedWeight}.
 */
final class WeightStore {
  private final ModelConfig config;
  private final List<ParamSpec> specs;
  private final Map<String, NDArray> store; // HF name → array (quantised: the stored codes)
  private final Map<String, NDArray> view; // read-only view of store
  private final Map<String, QuantizedWeight> quantized = new LinkedHashMap<>(); // HF name → codes

  /**
   * Checks and keeps the parameters {@code specs} lists: float32 arrays from {@code parameters}, or
   * quantised ones from {@code quantizedWeights} (which may only hold {@link #quantizableNames}).
   *
   * @throws IllegalArgumentException if a parameter is missing, misshapen, not float32 without a
   *     quantised form, or quantised where that is not allowed
   */
  WeightStore(
      ModelConfig config,
      Map<String, NDArray> parameters,
      Map<String, QuantizedWeight> quantizedWeights) {
    this.config = config;
    this.specs = config.family().parameters(config);
    checkQuantized(config, quantizedWeights);
    Map<String, NDArray> p = new LinkedHashMap<>();
    for (ParamSpec s : specs) {
      QuantizedWeight q = quantizedWeights.get(s.name());
      NDArray a = q != null ? q.data() : parameters.get(s.name());
      if (a == null) {
        throw new IllegalArgumentException("missing parameter " + s.name());
      }
      if (q == null && a.getDataType() != DataType.FLOAT32) {
        throw new IllegalArgumentException(
            "parameter "
                + s.name()
                + " is "
                + a.getDataType()
                + "; parameters are float32, and a weight stored as fp16 or int8 must come as a"
                + " QuantizedWeight (with its scales) in quantizedWeights");
      }
      if (!a.getShape().equals(new Shape(s.shape()))) {
        throw new IllegalArgumentException(
            "parameter "
                + s.name()
                + " has shape "
                + a.getShape()
                + ", expected "
                + new Shape(s.shape()));
      }
      p.put(s.name(), a);
      if (q != null) {
        quantized.put(s.name(), q);
      }
    }
    this.store = p;
    this.view = Collections.unmodifiableMap(p);
  }

  /**
   * A freshly initialised store (HF-style: normal(0, std) from {@link RandomInit} in spec order,
   * norms 1, biases 0); each weight {@code quant} selects is quantised as soon as it is drawn, so
   * the float32 model never exists in memory as a whole. The arrays live in {@code manager}.
   */
  static WeightStore random(ModelConfig config, NDManager manager, long seed, QuantConfig quant) {
    SplittableRandom rng = new SplittableRandom(seed);
    Set<String> toQuantize = quantizableNames(config, quant);
    Map<String, NDArray> p = new LinkedHashMap<>();
    Map<String, QuantizedWeight> q = new LinkedHashMap<>();
    for (ParamSpec s : config.family().parameters(config)) {
      Shape shape = new Shape(s.shape());
      NDArray a;
      switch (s.init()) {
        case ONES:
          a = manager.ones(shape);
          break;
        case ZEROS:
          a = manager.zeros(shape);
          break;
        default:
          a = RandomInit.normal(manager, rng, shape, s.std());
      }
      if (toQuantize.contains(s.name())) {
        q.put(s.name(), QuantizedWeight.quantize(a, quant));
        a.close();
      } else {
        p.put(s.name(), a);
      }
    }
    return new WeightStore(config, p, q);
  }

  /** The specs of the parameters, in order. */
  List<ParamSpec> specs() {
    return specs;
  }

  /**
   * The parameters {@code quant} stores below float32 for a model of {@code config}: every block
   * projection weight (attention and MLP), plus the token embedding and an untied LM head when
   * {@link QuantConfig#quantizeEmbeddings()}. Norms, biases and position embeddings stay float32.
   * Empty for fp32.
   */
  static Set<String> quantizableNames(ModelConfig config, QuantConfig quant) {
    Set<String> out = new LinkedHashSet<>();
    if (!quant.quantizes()) {
      return out;
    }
    Family f = config.family();
    String head = config.tieWordEmbeddings() ? null : f.lmHead();
    for (ParamSpec s : f.parameters(config)) {
      boolean embeddingOrHead = s.name().equals(f.tokenEmbedding()) || s.name().equals(head);
      if (s.name().equals(f.positionEmbedding()) || s.shape().length != 2) {
        continue;
      }
      if (!embeddingOrHead || quant.quantizeEmbeddings()) {
        out.add(s.name());
      }
    }
    return out;
  }

  private static void checkQuantized(ModelConfig config, Map<String, QuantizedWeight> q) {
    if (q.isEmpty()) {
      return;
    }
    QuantizedWeight first = q.values().iterator().next();
    Set<String> allowed =
        quantizableNames(config, new QuantConfig(first.dtype(), first.blockSize(), true));
    for (Map.Entry<String, QuantizedWeight> e : q.entrySet()) {
      if (!allowed.contains(e.getKey())) {
        throw new IllegalArgumentException(
            "parameter "
                + e.getKey()
                + " cannot be stored quantised; only block projection weights, the token"
                + " embedding and an untied LM head can");
      }
      QuantizedWeight w = e.getValue();
      if (w.dtype() != first.dtype() || w.blockSize() != first.blockSize()) {
        throw new IllegalArgumentException(
            "quantised weights must share one dtype and block size; "
                + e.getKey()
                + " is "
                + w
                + " but another is "
                + first);
      }
    }
  }

  /** Every parameter by HF name, read-only. */
  Map<String, NDArray> view() {
    return view;
  }

  /** The weights stored quantised, read-only. */
  Map<String, QuantizedWeight> quantized() {
    return Collections.unmodifiableMap(quantized);
  }

  /** Bytes held as stored (quantised weights: codes plus scales). */
  long bytes() {
    long n = 0;
    for (Map.Entry<String, NDArray> e : store.entrySet()) {
      QuantizedWeight q = quantized.get(e.getKey());
      NDArray a = e.getValue();
      n += q != null ? q.bytes() : a.size() * a.getDataType().getNumOfBytes();
    }
    return n;
  }

  /** How the base is stored: {@link QuantConfig#FP32} unless quantised. */
  QuantConfig quantConfig() {
    if (quantized.isEmpty()) {
      return QuantConfig.FP32;
    }
    QuantizedWeight q = quantized.values().iterator().next();
    return new QuantConfig(
        q.dtype(), q.blockSize(), quantized.containsKey(config.family().tokenEmbedding()));
  }

  /**
   * Freezes (or unfreezes) every parameter.
   *
   * @throws IllegalStateException when unfreezing a quantised base (its weights cannot train)
   */
  void setTrainable(boolean trainable) {
    if (trainable && !quantized.isEmpty()) {
      throw new IllegalStateException(
          "the base is stored as "
              + quantConfig().baseDtype()
              + " and quantised weights cannot train; train adapters (LoRA) on a quantised base,"
              + " or load it with baseDtype fp32 for full fine-tuning");
    }
    for (Map.Entry<String, NDArray> e : store.entrySet()) {
      if (!quantized.containsKey(e.getKey())) {
        e.getValue().setRequiresGradient(trainable);
      }
    }
  }

  /**
   * @throws IllegalStateException if the base is quantised already
   */
  private void requireFloat32() {
    if (!quantized.isEmpty()) {
      throw new IllegalStateException(
          "the base is already stored as " + quantConfig() + "; quantise once, from float32");
    }
  }

  /**
   * Quantises the weights {@code quant} selects, freeing each float32 array at once, and hands each
   * to the module of {@code modules} (weight name → module) that computes with it.
   *
   * @return the new quantised weights by HF name
   * @throws IllegalStateException if already quantised, a module has an adapter attached, or a
   *     selected weight requires gradients
   */
  Map<String, QuantizedWeight> quantize(QuantConfig quant, Map<String, Linear> modules) {
    requireFloat32();
    for (Linear l : modules.values()) {
      if (l.adapter() != null) {
        throw new IllegalStateException(
            "module "
                + l.path()
                + " has an adapter attached; quantise the base before injecting LoRA (as QLoRA"
                + " does), or close the LoraModel first");
      }
    }
    Set<String> names = quantizableNames(config, quant);
    for (String name : names) {
      if (store.get(name).hasGradient()) {
        throw new IllegalStateException(
            "parameter "
                + name
                + " requires gradients; quantised weights cannot train, so freeze the base"
                + " (setBaseTrainable(false)) before quantising");
      }
    }
    Map<String, QuantizedWeight> added = new LinkedHashMap<>();
    for (String name : names) {
      NDArray old = store.get(name);
      QuantizedWeight q = QuantizedWeight.quantize(old, quant);
      store.put(name, q.data());
      quantized.put(name, q);
      added.put(name, q);
      Linear l = modules.get(name);
      if (l != null) {
        l.setQuantized(q);
      }
      old.close();
    }
    return added;
  }
}
