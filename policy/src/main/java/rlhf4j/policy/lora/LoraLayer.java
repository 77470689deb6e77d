package rlhf4j.policy.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import java.util.SplittableRandom;
import rlhf4j.policy.model.Linear;
import rlhf4j.policy.model.Scalars;
import rlhf4j.policy.model.init.RandomInit;

/**
 * One adapted linear module of one adapter (PEFT's {@code LoraLayer} for one adapter name): A (r,
 * in), B (out, r), the scaling α/r (or α/√r with rsLoRA) and the dropout on the LoRA branch.
 *
 * <p>Forward: {@code y = baseOut + (dropout(x)·Aᵀ)·Bᵀ · scaling}, dropout only in training. Merge
 * adds ΔW = B·A·scaling (out, in) into the base weight in place; unmerge subtracts it again.
 * Whether the base bias trains ({@code bias = all | lora_only}) is decided by {@link
 * LoraTargets#trainableBiases}: the bias stays the base layer's array.
 */
final class LoraLayer {
  private final NDArray a; // (r, in)
  private final NDArray b; // (out, r)
  private final float scaling;
  private final float dropout;

  private LoraLayer(NDArray a, NDArray b, float scaling, float dropout) {
    this.a = a;
    this.b = b;
    this.scaling = scaling;
    this.dropout = dropout;
  }

  /** The layer for module {@code path} of an adapter configured by {@code c} (scaling per path). */
  static LoraLayer of(NDArray a, NDArray b, LoraConfig c, String path) {
    return new LoraLayer(a, b, (float) c.scalingFor(path), (float) c.loraDropout());
  }

  /**
   * A fresh layer for module {@code l} (PEFT's {@code reset_lora_parameters}), initialised as
   * {@code c.initLoraWeights()} says from {@code rng}, its arrays held by {@code manager}: B is
   * zero unless {@code RANDOM}, so a fresh adapter changes nothing.
   */
  static LoraLayer init(Linear l, LoraConfig c, SplittableRandom rng, NDManager manager) {
    int rank = c.rankFor(l.path());
    long in = l.inFeatures();
    long out = l.outFeatures();
    float[] av = new float[Math.toIntExact(rank * in)];
    float[] bv = new float[Math.toIntExact(out * rank)];
    switch (c.initLoraWeights()) {
      case GAUSSIAN:
        for (int i = 0; i < av.length; i++) {
          av[i] = (float) (RandomInit.gaussian(rng) / rank); // std 1/r
        }
        break;
      case RANDOM:
        uniform(rng, av, 1 / Math.sqrt(in));
        uniform(rng, bv, 1 / Math.sqrt(rank)); // nn.Linear default: fan_in = r
        break;
      default:
        uniform(rng, av, 1 / Math.sqrt(in)); // kaiming_uniform(a=√5): U(−1/√in, 1/√in)
    }
    return of(
        manager.create(av, new Shape(rank, in)),
        manager.create(bv, new Shape(out, rank)),
        c,
        l.path());
  }

  /** lora_A // (r, in). */
  NDArray a() {
    return a;
  }

  /** lora_B // (out, r). */
  NDArray b() {
    return b;
  }

  /**
   * The base output plus the low-rank update.
   *
   * @param x input // (..., in)
   * @param baseOut x·Wᵀ + b // (..., out)
   */
  NDArray forward(NDArray x, NDArray baseOut, boolean training) {
    NDArray h = training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
    NDArray down = ai.djl.nn.core.Linear.linear(h, a, null).singletonOrThrow(); // (..., r)
    NDArray up = ai.djl.nn.core.Linear.linear(down, b, null).singletonOrThrow(); // (..., out)
    return baseOut.add(Scalars.mul(up, scaling));
  }

  /** ΔW = B·A·scaling // (out, in), in the current scope. */
  NDArray delta() {
    return Scalars.mul(b.matMul(a), scaling);
  }

  /** weight += ΔW, in place // weight (out, in). */
  void mergeInto(NDArray weight) {
    try (NDScope scope = new NDScope()) {
      weight.addi(delta());
    }
  }

  /** weight −= ΔW, in place: the base again up to float rounding // weight (out, in). */
  void unmergeFrom(NDArray weight) {
    try (NDScope scope = new NDScope()) {
      weight.subi(delta());
    }
  }

  /** Elements of A and B. */
  long size() {
    return a.size() + b.size();
  }

  /** Marks A and B as trainable or frozen. */
  void setTrainable(boolean on) {
    LoraAdapter.setTrainable(a, on);
    LoraAdapter.setTrainable(b, on);
  }

  void close() {
    a.close();
    b.close();
  }

  private static void uniform(SplittableRandom rng, float[] out, double bound) {
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) rng.nextDouble(-bound, bound);
    }
  }
}
