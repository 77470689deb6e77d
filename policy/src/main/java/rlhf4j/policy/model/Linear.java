package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import rlhf4j.policy.quant.BaseDtype;
import rlhf4j.policy.quant.Gemm;
import rlhf4j.policy.quant.QuantizedWeight;

/**
 * A linear projection y = x·Wᵀ + b with W stored as (out, in) whatever the checkpoint layout
 * (GPT-2's Conv1D (in, out) is transposed at the file edge). An {@link Adapter} (LoRA) can be
 * attached; it sees the input and the base output.
 *
 * <p>The frozen weight may be stored quantised ({@link QuantizedWeight}: fp16, or int8 with absmax
 * scales); the layer then computes in float32 from the stored form, and {@link #weight()} is not
 * available (see {@link #dequantizedWeight()}).
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
  private NDArray weight; // (out, in) float32, or null when quantised
  private QuantizedWeight quantized; // null unless the weight is stored quantised
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
    NDArray y = forwardBase(x);
    return adapter == null ? y : adapter.apply(x, y, training);
  }

  /** y = x·Wᵀ + b without any adapter (float32 compute also for a quantised weight). */
  public NDArray forwardBase(NDArray x) {
    if (quantized != null) {
      return QuantizedLinearTape.linear(quantized, x, bias); // no float32 copy in a graph
    }
    return Gemm.linear(x, weight, bias);
  }

  /** The HF module path, e.g. {@code model.layers.0.self_attn.q_proj}. */
  public String path() {
    return path;
  }

  /** The last component of the path, e.g. {@code q_proj}. */
  public String shortName() {
    return path.substring(path.lastIndexOf('.') + 1);
  }

  /**
   * The float32 weight (out, in).
   *
   * @throws IllegalStateException if the weight is stored quantised (its values then exist only as
   *     codes; {@link #dequantizedWeight()} gives a float32 copy)
   */
  public NDArray weight() {
    if (quantized != null) {
      throw new IllegalStateException(
          path
              + " stores its frozen weight as "
              + quantized.dtype()
              + " (base quantised), so it has no float32 weight to read or update in place; use"
              + " dequantizedWeight() for a float32 copy, or load the model with baseDtype fp32");
    }
    return weight;
  }

  /**
   * Replaces the float32 weight array (same shape).
   *
   * @throws IllegalStateException if the weight is stored quantised
   */
  public void setWeight(NDArray newWeight) {
    if (quantized != null) {
      throw new IllegalStateException(
          path + " is stored as " + quantized.dtype() + "; its weight cannot be replaced");
    }
    Shape current = shape();
    if (!newWeight.getShape().equals(current)) {
      throw new IllegalArgumentException(
          path + ": new weight shape " + newWeight.getShape() + " != " + current);
    }
    this.weight = newWeight;
  }

  /** Whether the weight is stored quantised (fp16 or int8) rather than as float32. */
  public boolean isQuantized() {
    return quantized != null;
  }

  /** How the weight is stored. */
  public BaseDtype baseDtype() {
    return quantized == null ? BaseDtype.FP32 : quantized.dtype();
  }

  /** The quantised storage, or null for a float32 weight. */
  public QuantizedWeight quantizedWeight() {
    return quantized;
  }

  /**
   * A new float32 copy of the weight as the layer computes with it (the dequantised values for a
   * quantised layer); the caller closes it.
   */
  public NDArray dequantizedWeight() {
    return quantized == null ? weight.duplicate() : quantized.dequantize();
  }

  /**
   * Switches the layer to quantised storage; the caller owns (and closes) the previous float32
   * array.
   */
  void setQuantized(QuantizedWeight q) {
    if (!q.shape().equals(shape())) {
      throw new IllegalArgumentException(
          path + ": quantised weight shape " + q.shape() + " != " + shape());
    }
    this.quantized = q;
    this.weight = null;
  }

  private Shape shape() {
    return quantized != null ? quantized.shape() : weight.getShape();
  }

  public NDArray bias() {
    return bias;
  }

  public long inFeatures() {
    return shape().get(1);
  }

  public long outFeatures() {
    return shape().get(0);
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
    return "Linear("
        + path
        + ", "
        + shape()
        + (quantized == null ? "" : ", " + quantized.dtype())
        + ")";
  }

  static NDList list(NDArray... arrays) {
    return new NDList(arrays);
  }
}
