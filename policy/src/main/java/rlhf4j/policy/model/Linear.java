package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * A linear projection y = x·Wᵀ + b with W stored as (out, in) whatever the checkpoint layout
 * (GPT-2's Conv1D (in, out) is transposed at the file edge). An {@link Adapter} (LoRA) can be
 * attached; it sees the input and the base output.
 */
public final class Linear {
  /** Something added to a linear layer's output, such as a LoRA adapter. */
  @FunctionalInterface
  public interface Adapter {
    /**
     * Returns the layer's output given its input and the frozen base output.
     *
     * @param x input // (..., in)
     * @param baseOut x·Wᵀ + b // (..., out)
     * @param training whether the model is training (dropout on)
     */
    NDArray apply(NDArray x, NDArray baseOut, boolean training);
  }

  private final String path;
  private NDArray weight; // (out, in)
  private final NDArray bias; // (out) or null
  private final boolean hfTransposed;
  private Adapter adapter;

  /**
   * @param path the module's HF path, e.g. {@code transformer.h.0.attn.c_attn}
   * @param weight (out, in)
   * @param bias (out) or null
   * @param hfTransposed whether the HF checkpoint stores this weight as (in, out) (GPT-2 Conv1D)
   */
  public Linear(String path, NDArray weight, NDArray bias, boolean hfTransposed) {
    this.path = path;
    this.weight = weight;
    this.bias = bias;
    this.hfTransposed = hfTransposed;
  }

  /** y = x·Wᵀ + b, plus the adapter if any. */
  public NDArray forward(NDArray x, boolean training) {
    NDArray y = ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
    return adapter == null ? y : adapter.apply(x, y, training);
  }

  /** y = x·Wᵀ + b without any adapter. */
  public NDArray forwardBase(NDArray x) {
    return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
  }

  /** The HF module path, e.g. {@code model.layers.0.self_attn.q_proj}. */
  public String path() {
    return path;
  }

  /** The last component of the path, e.g. {@code q_proj}. */
  public String shortName() {
    return path.substring(path.lastIndexOf('.') + 1);
  }

  public NDArray weight() {
    return weight;
  }

  /** Replaces the weight array (same shape), e.g. after quantisation. */
  public void setWeight(NDArray newWeight) {
    if (!newWeight.getShape().equals(weight.getShape())) {
      throw new IllegalArgumentException(
          path + ": new weight shape " + newWeight.getShape() + " != " + weight.getShape());
    }
    this.weight = newWeight;
  }

  public NDArray bias() {
    return bias;
  }

  public long inFeatures() {
    return weight.getShape().get(1);
  }

  public long outFeatures() {
    return weight.getShape().get(0);
  }

  /** True when HF stores this weight as (in, out): GPT-2's Conv1D (PEFT's fan_in_fan_out). */
  public boolean hfTransposed() {
    return hfTransposed;
  }

  public Adapter adapter() {
    return adapter;
  }

  public void setAdapter(Adapter adapter) {
    this.adapter = adapter;
  }

  @Override
  public String toString() {
    return "Linear(" + path + ", " + weight.getShape() + ")";
  }

  static NDList list(NDArray... arrays) {
    return new NDList(arrays);
  }
}
