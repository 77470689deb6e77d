package rlhf4j.policy.optim;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An optimizer's checkpointable state: named tensors (keys like {@code adamw.m.<param>}) and named
 * integer scalars (keys like {@code adamw.step} and {@code adamw.step.<param>}). Tensor names are
 * safetensors-ready; the scalars can go in the file's metadata or a JSON sidecar.
 *
 * @param tensors state arrays by key, in insertion order
 * @param scalars step counters by key, in insertion order
 */
public record OptimizerState(Map<String, NDArray> tensors, Map<String, Long> scalars) {

  /** Validates that no key or value is null and copies both maps, keeping their order. */
  public OptimizerState {
    Objects.requireNonNull(tensors, "tensors");
    Objects.requireNonNull(scalars, "scalars");
    tensors.forEach(
        (k, v) -> {
          if (k == null || v == null) {
            throw new IllegalArgumentException("tensors must not hold null keys or values: " + k);
          }
        });
    scalars.forEach(
        (k, v) -> {
          if (k == null || v == null) {
            throw new IllegalArgumentException("scalars must not hold null keys or values: " + k);
          }
        });
    tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    scalars = Collections.unmodifiableMap(new LinkedHashMap<>(scalars));
  }

  /** The scalar stored under {@code key}; throws if it is absent. */
  public long scalar(String key) {
    Long value = scalars.get(key);
    if (value == null) {
      throw new IllegalArgumentException(
          "optimizer state has no scalar '" + key + "'; present: " + scalars.keySet());
    }
    return value;
  }
}
