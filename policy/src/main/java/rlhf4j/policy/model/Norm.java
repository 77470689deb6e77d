package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** LayerNorm (GPT-2, GPT-NeoX) or RMSNorm (Llama family) over the last axis. */
public final class Norm {
  private final NDArray weight; // (D)
  private final NDArray bias; // (D) or null for RMSNorm
  private final float eps;

  private Norm(NDArray weight, NDArray bias, double eps) {
    this.weight = weight;
    this.bias = bias;
    this.eps = (float) eps;
  }

  /** (x − mean)/√(var + eps)·w + b. */
  public static Norm layerNorm(NDArray weight, NDArray bias, double eps) {
    return new Norm(weight, bias, eps);
  }

  /** x/√(mean(x²) + eps)·w. */
  public static Norm rmsNorm(NDArray weight, double eps) {
    return new Norm(weight, null, eps);
  }

  public NDArray forward(NDArray x) { // (B, T, D)
    if (bias != null) {
      return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(weight.size()), weight, bias, eps)
          .singletonOrThrow();
    }
    NDArray inv = Scalars.pow(x.square().mean(new int[] {-1}, true).add(eps), -0.5); // (B, T, 1)
    return x.mul(inv).mul(weight);
  }
}
