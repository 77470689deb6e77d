package rlhf4j.policy.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Gradient clipping by global L2 norm ({@code torch.nn.utils.clip_grad_norm_}). */
public final class GradClip {

  private GradClip() {}

  /**
   * Scales every gradient in place by {@code maxNorm / (norm + 1e-6)} when that factor is below 1,
   * where {@code norm} is the L2 norm of all gradients taken together (parameters whose gradient
   * was never computed are left out). A non-finite norm leaves the gradients unchanged; the caller
   * sees it in the returned value.
   *
   * @param params trainable arrays by name
   * @param maxNorm the largest allowed global norm, &gt; 0
   * @return the global norm before clipping (0 when no parameter has a gradient)
   */
  public static double clipGlobalNorm(Map<String, NDArray> params, double maxNorm) {
    Objects.requireNonNull(params, "params");
    if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
      throw new IllegalArgumentException("maxNorm must be finite and > 0, got " + maxNorm);
    }
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      List<NDArray> grads = new ArrayList<>();
      double sumOfSquares = 0;
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        NDArray grad = Gradients.viewOrNull(e.getKey(), e.getValue());
        if (grad == null) {
          continue;
        }
        NDScope.register(grad); // closed with the scope
        grads.add(grad);
        double norm = grad.norm().toType(DataType.FLOAT64, false).getDouble();
        sumOfSquares += norm * norm;
      }
      double totalNorm = Math.sqrt(sumOfSquares);
      double scale = maxNorm / (totalNorm + 1e-6); // torch clip_grad_norm_
      if (scale < 1) {
        for (NDArray grad : grads) {
          grad.muli(scale); // the view writes through to .grad
        }
      }
      return totalNorm;
    }
  }
}
