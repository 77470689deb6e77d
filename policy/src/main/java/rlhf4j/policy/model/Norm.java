package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/** LayerNorm (GPT-2, GPT-NeoX) or RMSNorm (Llama family; Gemma's 1 + w) over the last axis. */
public final class Norm {
  private final NormKind kind;
  private final NDArray weight; // (D)
  private final NDArray bias; // (D), null for RMSNorm
  private final float eps;

  private Norm(NormKind kind, NDArray weight, NDArray bias, double eps) {
    this.kind = kind;
    this.weight = Objects.requireNonNull(weight, "norm weight");
    this.bias = bias;
    this.eps = (float) eps;
  }

  /**
   * A norm of {@code kind}: LayerNorm needs {@code bias}, RMSNorm takes none.
   *
   * @throws IllegalArgumentException if the bias is missing for LayerNorm or given for RMSNorm
   */
  public static Norm of(NormKind kind, NDArray weight, NDArray bias, double eps) {
    if (kind == NormKind.LAYER_NORM && bias == null) {
      throw new IllegalArgumentException("LAYER_NORM needs a bias, got none");
    }
    if (kind != NormKind.LAYER_NORM && bias != null) {
      throw new IllegalArgumentException(
          kind + " has no bias, got one of shape " + bias.getShape());
    }
    return new Norm(kind, weight, bias, eps);
  }

  /** (x − mean)/√(var + eps)·w + b. */
  public static Norm layerNorm(NDArray weight, NDArray bias, double eps) {
    return of(NormKind.LAYER_NORM, weight, bias, eps);
  }

  /** x/√(mean(x²) + eps)·w. */
  public static Norm rmsNorm(NDArray weight, double eps) {
    return of(NormKind.RMS_NORM, weight, null, eps);
  }

  /** Which norm this is. */
  public NormKind kind() {
    return kind;
  }

  public NDArray forward(NDArray x) { // (B, T, D)
    if (kind == NormKind.LAYER_NORM) {
      return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(weight.size()), weight, bias, eps)
          .singletonOrThrow();
    }
    NDArray inv = Scalars.pow(x.square().mean(new int[] {-1}, true).add(eps), -0.5); // (B, T, 1)
    if (kind == NormKind.RMS_NORM_PLUS_ONE) {
      return x.mul(inv).mul(weight.add(1f));
    }
    return x.mul(inv).mul(weight);
  }
}
