package rlhf4j.policy.optim;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** Shared helpers for the optimizer tests. */
final class OptimFixtures {

  private OptimFixtures() {}

  /** A trainable float32 array. */
  static NDArray trainable(NDManager manager, float[] values, long... shape) {
    NDArray p = manager.create(values, new Shape(shape));
    p.setRequiresGradient(true);
    return p;
  }

  /** Runs backward on {@code loss(params)} in its own scope, accumulating into the grads. */
  static void backward(Map<String, NDArray> params, Function<Map<String, NDArray>, NDArray> loss) {
    try (NDScope scope = new NDScope();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      scope.suppressNotUsedWarning();
      gc.backward(loss.apply(params));
    }
  }

  /** Backward on sum(p·G) for each named p, so that p.grad = G exactly. */
  static void setGradients(Map<String, NDArray> params, Map<String, float[]> grads) {
    backward(
        params,
        ps -> {
          NDArray total = null;
          for (Map.Entry<String, float[]> e : grads.entrySet()) {
            NDArray p = ps.get(e.getKey());
            NDArray g = p.getManager().create(e.getValue()).reshape(p.getShape());
            NDArray term = p.mul(g).sum();
            total = total == null ? term : total.add(term);
          }
          return total;
        });
  }

  /** A name-ordered map. */
  static Map<String, NDArray> params(Object... nameArrayPairs) {
    Map<String, NDArray> map = new LinkedHashMap<>();
    for (int i = 0; i < nameArrayPairs.length; i += 2) {
      map.put((String) nameArrayPairs[i], (NDArray) nameArrayPairs[i + 1]);
    }
    return map;
  }

  /** Gradient values of p, read through a view that is closed again. */
  static float[] gradient(NDArray p) {
    try (NDArray g = p.getGradient()) {
      return g.toFloatArray();
    }
  }
}
