package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Preallocated key/value buffers, one pair per layer, shaped (B, Hkv, capacity, Dh): a prefill
 * writes P positions, each decode step one more, with no copying of what is already cached. Use it
 * without gradients (rollouts). Close it to free the buffers.
 */
public final class KvCache implements AutoCloseable {
  private final NDArray[] keys;
  private final NDArray[] values;
  private final NDArray ids; // (B, capacity) token ids, kept for LongRoPE's recomputation, or null
  private final long capacity;
  private long length;
  private int appendedThisStep;

  /** Buffers for {@code batch} rows and up to {@code capacity} positions, in {@code manager}. */
  public KvCache(NDManager manager, ModelConfig config, long batch, long capacity) {
    this.capacity = capacity;
    this.keys = new NDArray[config.numLayers()];
    this.values = new NDArray[config.numLayers()];
    Shape s = new Shape(batch, config.numKvHeads(), capacity, config.headDim());
    for (int i = 0; i < keys.length; i++) {
      keys[i] = manager.zeros(s, DataType.FLOAT32);
      values[i] = manager.zeros(s, DataType.FLOAT32);
    }
    RopeScaling rope = config.ropeScaling();
    this.ids =
        rope != null && rope.type() == RopeScaling.Type.LONGROPE
            ? manager.zeros(new Shape(batch, capacity), DataType.INT64)
            : null;
  }

  /** Positions already cached (before the current forward). */
  public long length() {
    return length;
  }

  public long capacity() {
    return capacity;
  }

  /**
   * Writes this step's keys and values for {@code layer} after the cached ones and returns views of
   * everything cached so far.
   *
   * @param k (B, Hkv, T, Dh)
   * @param v (B, Hkv, T, Dh)
   * @return {keys, values}, each (B, Hkv, length + T, Dh)
   */
  NDArray[] append(int layer, NDArray k, NDArray v) {
    long t = k.getShape().get(2);
    long end = length + t;
    if (end > capacity) {
      throw new IllegalStateException(
          "KV cache is full: " + length + " + " + t + " positions > capacity " + capacity);
    }
    NDIndex slot = new NDIndex(":, :, {}:{}", length, end);
    keys[layer].set(slot, k);
    values[layer].set(slot, v);
    appendedThisStep = (int) t;
    NDIndex upTo = new NDIndex(":, :, :{}", end);
    return new NDArray[] {keys[layer].get(upTo), values[layer].get(upTo)};
  }

  /** Keeps this forward's token ids (B, T) after the cached ones, when they are kept at all. */
  void recordIds(NDArray inputIds) {
    if (ids != null) {
      long t = inputIds.getShape().get(1);
      if (length + t > capacity) {
        throw new IllegalStateException(
            "KV cache is full: " + length + " + " + t + " positions > capacity " + capacity);
      }
      ids.set(new NDIndex(":, {}:{}", length, length + t), inputIds.toType(DataType.INT64, false));
    }
  }

  /**
   * Forgets every cached position and returns the whole sequence's ids, the cached ones then {@code
   * inputIds} (B, length + T), for a forward that refills the cache from the start.
   */
  NDArray restartWith(NDArray inputIds) {
    NDArray all =
        NDArrays.concat(
            new NDList(
                ids.get(new NDIndex(":, :{}", length)), inputIds.toType(DataType.INT64, false)),
            1);
    length = 0;
    appendedThisStep = 0;
    return all;
  }

  /** Marks the positions written by the last forward as cached. */
  void advance() {
    length += appendedThisStep;
    appendedThisStep = 0;
  }

  @Override
  public void close() {
    for (int i = 0; i < keys.length; i++) {
      keys[i].close();
      values[i].close();
    }
    if (ids != null) {
      ids.close();
    }
  }
}
