package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import rlhf4j.policy.quant.QuantizedWeight;

/**
 * The input-gradient of quantised linear layers without a float32 weight copy in the graph: a
 * backward that dequantises on the fly.
 *
 * <p>Under autograd, y = x·Ŵᵀ saves its float32 operand Ŵ for ∂loss/∂x = g·Ŵ, so a quantised base
 * would hold a float32 copy of every layer from the forward until the backward (as much memory as a
 * float32 base, on top of the codes). DJL has no custom autograd function, so while a tape is
 * {@linkplain #open() open} on this thread {@link Linear} records each quantised layer instead: it
 * computes the product y without a graph (the copy is freed at once) and hands on y + z, where z is
 * a leaf of zeros that requires gradients (one stored float broadcast to y's shape, so it holds no
 * memory; the add keeps no values for its backward), whose gradient is then ∂loss/∂y. After the
 * backward from the block's output has reached those leaves, {@link #replay()} continues it layer
 * by layer, last first: g_x = g_y·Ŵ with Ŵ dequantised again (and freed) for that one product,
 * backpropagated from x with {@code JniUtils.backward}, which adds it to the gradients of
 * everything before. Reverse recording order is a valid order: a layer's output only feeds layers
 * recorded after it.
 *
 * <p>The graph of the recorded inputs is walked more than once, so every backward into a recorded
 * block must keep the graph ({@code retain_graph}); the block's graph is freed when its arrays
 * close. One tape covers one block; {@link CheckpointedBackward} opens one per block, and records
 * only where the base is quantised (a float32 layer's weight is no copy: the graph keeps it free).
 *
 * <p>The price: each recorded layer's input stays alive until its block's backward, also where the
 * graph would not have kept it (the inputs of the attention output and of the MLP projections: per
 * token and block about (heads·headDim + hidden + intermediate) floats more), against the Σ in·out
 * floats of the block's weight copies it saves. The copies dominate unless a mini-batch has
 * thousands of tokens; {@link CheckpointedBackward#staged} is used only below that break-even.
 */
final class QuantizedLinearTape implements AutoCloseable {
  private static final ThreadLocal<QuantizedLinearTape> ACTIVE = new ThreadLocal<>();

  /**
   * One recorded layer.
   *
   * @param key the input array as the layer got it (identity only: layers fed the same array are
   *     backpropagated together)
   * @param input a view of the input with its graph, owned here // (..., in)
   * @param zero the one float32 zero behind {@code output}, owned here // (1)
   * @param output the leaf added to x·Ŵᵀ (zeros, stride 0) whose gradient is ∂loss/∂y, owned here
   *     // (..., out)
   * @param weight the quantised weight
   */
  private record Entry(
      NDArray key, NDArray input, NDArray zero, NDArray output, QuantizedWeight weight) {}

  private final List<Entry> entries = new ArrayList<>();
  private final QuantizedLinearTape previous;
  private boolean recording = true;

  private QuantizedLinearTape() {
    previous = ACTIVE.get();
    ACTIVE.set(this);
  }

  /** Starts recording on this thread until {@link #stop()} or {@link #close()}. */
  static QuantizedLinearTape open() {
    return new QuantizedLinearTape();
  }

  /** Stops recording (what was recorded stays for {@link #replay()}). */
  void stop() {
    if (recording) {
      recording = false;
      ACTIVE.set(previous);
    }
  }

  /**
   * x·Ŵᵀ + b for a quantised layer: recorded on the open tape when grad mode is on, else as {@link
   * QuantizedWeight#linear}. The tape cannot ask {@code x} whether it requires gradients (DJL's
   * {@code hasGradient()} is false for every non-leaf result, graph or not), so the caller opens it
   * only where every layer input derives from a block input that requires gradients.
   *
   * @param x // (..., in)
   * @param bias // (out) or null
   * @return // (..., out)
   */
  static NDArray linear(QuantizedWeight weight, NDArray x, NDArray bias) {
    QuantizedLinearTape tape = ACTIVE.get();
    if (tape == null || !JniUtils.isGradMode()) {
      return weight.linear(x, bias);
    }
    return tape.record(weight, x, bias);
  }

  private NDArray record(QuantizedWeight weight, NDArray x, NDArray bias) {
    boolean biasTrains = bias != null && bias.hasGradient();
    NDArray y;
    NDArray zero;
    NDArray probe;
    try (NoGrad ng = NoGrad.enter()) {
      y = weight.linear(x, biasTrains ? null : bias); // the float32 copy is freed here
      zero = x.getManager().zeros(new Shape(1));
      probe = zero.broadcast(y.getShape()); // zeros without memory of their own (stride 0)
    }
    probe.setRequiresGradient(true); // a leaf: the backward stops here and replay() goes on
    NDArray out = y.add(probe); // the graph's add keeps neither operand's values
    y.close();
    NDArray input = x.reshape(x.getShape()); // a view with a graph into x's
    NDScope.unregister(zero);
    NDScope.unregister(probe);
    NDScope.unregister(input);
    entries.add(new Entry(x, input, zero, probe, weight));
    return biasTrains ? out.add(bias) : out;
  }

  /** Number of recorded layers. */
  int size() {
    return entries.size();
  }

  /**
   * Continues a backward that has reached the recorded outputs: for each layer, last first (layers
   * fed the same input together), g_x = Σ g_y·Ŵ, backpropagated from x keeping the graph.
   *
   * @throws IllegalStateException if a recorded output got no gradient
   */
  void replay() {
    int i = entries.size() - 1;
    while (i >= 0) {
      Entry e = entries.get(i);
      NDArray gx = null;
      while (i >= 0 && entries.get(i).key() == e.key()) {
        Entry f = entries.get(i);
        NDArray gy = f.output().getGradient(); // (..., out)
        NDArray part;
        try (NoGrad ng = NoGrad.enter()) {
          part = f.weight().linearInputGradient(gy); // (..., in)
        }
        gy.close();
        if (gx == null) {
          gx = part;
        } else {
          gx.addi(part);
          part.close();
        }
        i--;
      }
      JniUtils.backward((PtNDArray) e.input(), (PtNDArray) gx, true, false);
      gx.close();
    }
  }

  /** Stops recording and frees what was recorded. */
  @Override
  public void close() {
    stop();
    for (Entry e : entries) {
      e.input().close();
      e.output().close();
      e.zero().close();
    }
    entries.clear();
  }
}
