package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * From a padding mask to what attention needs: the checked int64 mask, position ids and the
 * additive causal bias. B sequences, T new positions, S = cached + T key positions.
 */
public final class AttentionMask {
  /** Negative bias that masks a key; the most negative float, as HF uses. */
  static final float MASKED = -Float.MAX_VALUE;

  private AttentionMask() {}

  /**
   * The mask as int64, all ones when {@code attentionMask} is null. // (B, S)
   *
   * @throws IllegalArgumentException if its shape is not (b, s)
   */
  static NDArray checked(NDArray attentionMask, NDManager m, long b, long s) {
    NDArray mask =
        attentionMask == null
            ? m.ones(new Shape(b, s), DataType.INT64)
            : attentionMask.toType(DataType.INT64, false);
    if (mask.getShape().get(0) != b || mask.getShape().get(1) != s) {
      throw new IllegalArgumentException(
          "attentionMask has shape " + mask.getShape() + ", expected (" + b + ", " + s + ")");
    }
    return mask;
  }

  /**
   * Position ids from the attention mask: cumsum(mask) − 1 (left padding shifts them), pads at 0;
   * the last {@code t} columns. // (B, S) → (B, T)
   */
  public static NDArray positionIds(NDArray mask, long t) {
    NDArray pos = mask.cumSum(1).sub(1).maximum(0);
    long s = mask.getShape().get(1);
    return t == s ? pos : pos.get(new NDIndex(":, {}:", s - t));
  }

  /**
   * Additive attention bias: query i (at absolute position S−T+i) may see key j iff j ≤ S−T+i and
   * key j is not padding. // (B, S) → (B, 1, T, S)
   */
  public static NDArray bias(NDArray mask, long t) {
    return bias(mask, t, 0);
  }

  /**
   * Like {@link #bias(NDArray, long)}, and with {@code window} > 0 query i also sees only keys j
   * with j > S−T+i − window (HF {@code sliding_window_overlay}, masking_utils.py: {@code kv_idx >
   * q_idx - sliding_window} over cache indices, padding included). // (B, S) → (B, 1, T, S)
   */
  public static NDArray bias(NDArray mask, long t, int window) {
    NDManager m = mask.getManager();
    long s = mask.getShape().get(1);
    NDArray keyPos = m.arange(0, s, 1, DataType.INT64).reshape(1, s); // (1, S)
    NDArray queryPos = m.arange(s - t, s, 1, DataType.INT64).reshape(t, 1); // (T, 1)
    NDArray causal = keyPos.lte(queryPos); // (T, S)
    if (window > 0) {
      causal = causal.logicalAnd(keyPos.gt(queryPos.sub(window))); // (T, S)
    }
    NDArray keep =
        mask.gt(0).reshape(mask.getShape().get(0), 1, 1, s).logicalAnd(causal); // (B,1,T,S)
    return keep.logicalNot().toType(DataType.FLOAT32, false).mul(MASKED);
  }
}
