package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * TRL's value head: a scalar per position from the policy's last hidden state, {@code v = h·wᵀ +
 * b}, with weights saved as {@code v_head.summary.weight} (1, D) and {@code v_head.summary.bias}
 * (1). Trained together with the adapters.
 */
public final class ValueHead implements AutoCloseable {
  public static final String WEIGHT = "v_head.summary.weight";
  public static final String BIAS = "v_head.summary.bias";

  private final NDManager manager;
  private final NDArray weight; // (1, D)
  private final NDArray bias; // (1)

  private ValueHead(NDManager manager, NDArray weight, NDArray bias) {
    this.manager = manager;
    this.weight = weight;
    this.bias = bias;
  }

  /**
   * A new head of width {@code hidden}: zero weights (lm-human-preferences' choice, so the first
   * values are 0) or N(0, 1/√(D+1)).
   */
  public static ValueHead create(NDManager parent, int hidden, boolean zeroInit, long seed) {
    NDManager m = parent.newSubManager();
    float[] w = new float[hidden];
    if (!zeroInit) {
      SplittableRandom rng = new SplittableRandom(seed);
      double std = 1.0 / Math.sqrt(hidden + 1.0);
      for (int i = 0; i < hidden; i++) {
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        w[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
      }
    }
    return new ValueHead(m, m.create(w, new Shape(1, hidden)), m.zeros(new Shape(1)));
  }

  /** A head from saved tensors (copied). */
  public static ValueHead of(NDManager parent, NDArray weight, NDArray bias) {
    NDManager m = parent.newSubManager();
    if (weight.getShape().dimension() != 2 || weight.getShape().get(0) != 1) {
      throw new IllegalArgumentException(
          WEIGHT + " must have shape (1, hidden), got " + weight.getShape());
    }
    NDArray w = weight.duplicate();
    w.attach(m);
    NDArray b = bias.duplicate();
    b.attach(m);
    return new ValueHead(m, w, b.reshape(1));
  }

  /** Values per position // (B, T, D) → (B, T). */
  public NDArray forward(NDArray hidden) {
    return ai.djl.nn.core.Linear.linear(hidden, weight, bias).singletonOrThrow().squeeze(-1);
  }

  /** Marks the head trainable (or frozen). */
  public void setTrainable(boolean trainable) {
    weight.setRequiresGradient(trainable);
    bias.setRequiresGradient(trainable);
  }

  /** The head's parameters under TRL's names. */
  public Map<String, NDArray> parameters() {
    Map<String, NDArray> p = new LinkedHashMap<>();
    p.put(WEIGHT, weight);
    p.put(BIAS, bias);
    return p;
  }

  @Override
  public void close() {
    manager.close();
  }
}
