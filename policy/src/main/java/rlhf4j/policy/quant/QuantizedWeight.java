package rlhf4j.policy.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Objects;

/**
 * A frozen weight matrix W (out, in) stored below float32 and used in float32.
 *
 * <ul>
 *   <li>fp16: {@code data} holds W in half precision; each use widens it to float32.
 *   <li>int8, per output channel: {@code data} holds codes q = round(127·W/a) with a = max|W| of
 *       the row, {@code scale} holds s = a/127 (out); for inputs of fewer rows than input features
 *       (decoding, small batches) x·Wᵀ is computed as (x·qᵀ)·s, the faster order on this CPU; for
 *       more rows the weight is dequantised first, which is cheaper then and makes no output-sized
 *       temporary (an LM head's (B, T, V) logits).
 *   <li>int8, block-wise: one a per block of {@code blockSize} consecutive input features, {@code
 *       scale} (out, in / blockSize); W is dequantised (q·s) then multiplied.
 * </ul>
 *
 * <p>Codes round to nearest (ties to even, as torch), which gives |W − Ŵ| ≤ s/2 per element. The
 * widened float32 copy made per call is closed at once (without a graph, a weight of more than
 * {@link #SLICE_ELEMENTS} is widened a slice of output rows at a time), so it costs memory only
 * while the op runs, or, under autograd, while the graph holds it for the input gradient (until
 * backward frees the graph); {@code CausalLM.backward} avoids the latter by computing the product
 * without a graph and the input gradient with {@link #linearInputGradient}, which dequantises
 * again.
 */
public final class QuantizedWeight implements AutoCloseable {
  /** Elements per chunk when quantising, so temporaries stay at a few MiB per large matrix. */
  private static final long CHUNK_ELEMENTS = 1 << 20;

  /**
   * The most elements of Ŵ widened to float32 at once where no graph is recorded: larger weights
   * (an LM head, a big model's MLP) are multiplied a slice of output rows at a time, and each
   * slice's float32 copy is freed before the next, so the copy never costs more than this (2 MiB,
   * half this CPU's L2 and below glibc's mmap threshold, so the same block is reused, hot). At
   * Qwen3-0.6B's int8 head (151,936 x 1024; 2026-12-06, 2 threads, best of 5, one probe run at load
   * 0.75) x·Ŵᵀ took 55 ms for 4 rows and 265 ms for 128 (the float32 head: 50 and 262), against 183
   * and 415 widening the whole head; slices of 2^16, 2^17, 2^18 and 2^20 elements took 152, 116, 90
   * and 208 ms for 4 rows.
   */
  static final long SLICE_ELEMENTS = 1 << 19;

  private final BaseDtype dtype;
  private final NDArray data; // (out, in) INT8 or FLOAT16
  private final NDArray scale; // INT8: (out) or (out, in / blockSize); null for FP16
  private final NDArray scaleColumn; // per-channel INT8: scale as (out, 1); else null
  private final int blockSize;

  private QuantizedWeight(BaseDtype dtype, NDArray data, NDArray scale, int blockSize) {
    this.dtype = dtype;
    this.data = data;
    this.scale = scale;
    this.blockSize = blockSize;
    if (scale != null && blockSize == 0) {
      scaleColumn = scale.reshape(scale.size(), 1);
      NDScope.unregister(scaleColumn);
    } else {
      scaleColumn = null;
    }
  }

  /**
   * Quantises {@code weight} (out, in) float32 as {@code config} says; the new arrays live in
   * {@code weight}'s manager and in no {@link NDScope}. {@code weight} is left as it is.
   *
   * @throws IllegalArgumentException if the config is fp32, the weight is not a float32 matrix, or
   *     the block size does not divide the input width
   */
  public static QuantizedWeight quantize(NDArray weight, QuantConfig config) {
    Objects.requireNonNull(weight, "weight");
    if (!config.quantizes()) {
      throw new IllegalArgumentException(
          "QuantConfig " + config + " stores float32: nothing to do");
    }
    Shape shape = weight.getShape();
    if (shape.dimension() != 2 || weight.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException(
          "can only quantise a float32 (out, in) matrix, got "
              + weight.getDataType()
              + " "
              + shape);
    }
    long out = shape.get(0);
    long in = shape.get(1);
    int bs = config.blockSize();
    if (bs > 0 && in % bs != 0) {
      throw new IllegalArgumentException(
          "blockSize "
              + bs
              + " does not divide the input width "
              + in
              + " of a "
              + shape
              + " weight");
    }
    NDManager m = weight.getManager();
    BaseDtype dtype = config.baseDtype();
    NDArray data;
    NDArray scale = null;
    if (dtype == BaseDtype.FP16) {
      data = m.zeros(shape, DataType.FLOAT16);
    } else {
      data = m.zeros(shape, DataType.INT8);
      scale = bs == 0 ? m.zeros(new Shape(out)) : m.zeros(new Shape(out, in / bs));
      NDScope.unregister(scale);
    }
    NDScope.unregister(data);
    long rowsPerChunk = Math.max(1, CHUNK_ELEMENTS / in);
    for (long r0 = 0; r0 < out; r0 += rowsPerChunk) {
      long r1 = Math.min(out, r0 + rowsPerChunk);
      NDIndex rows = new NDIndex("{}:{}", r0, r1);
      try (NDScope s = new NDScope()) {
        NDArray w = weight.get(rows); // (R, in)
        if (dtype == BaseDtype.FP16) {
          data.set(rows, w.toType(DataType.FLOAT16, false));
        } else if (bs == 0) {
          NDArray a = w.abs().max(new int[] {1}, true); // (R, 1)
          NDArray q = w.div(a.maximum(Float.MIN_NORMAL)).muli(127).round().clip(-127, 127);
          data.set(rows, q.toType(DataType.INT8, false));
          scale.set(rows, a.div(127).reshape(r1 - r0));
        } else {
          long r = r1 - r0;
          NDArray blocks = w.reshape(r, in / bs, bs);
          NDArray a = blocks.abs().max(new int[] {2}, true); // (R, NB, 1)
          NDArray q = blocks.div(a.maximum(Float.MIN_NORMAL)).muli(127).round().clip(-127, 127);
          data.set(rows, q.reshape(r, in).toType(DataType.INT8, false));
          scale.set(rows, a.div(127).reshape(r, in / bs));
        }
      }
    }
    return new QuantizedWeight(dtype, data, scale, bs);
  }

  /** Wraps an existing half-precision (out, in) array (e.g. read from an fp16 checkpoint). */
  public static QuantizedWeight ofFp16(NDArray data) {
    if (data.getShape().dimension() != 2 || data.getDataType() != DataType.FLOAT16) {
      throw new IllegalArgumentException(
          "ofFp16 needs a float16 (out, in) matrix, got " + data.getDataType() + data.getShape());
    }
    return new QuantizedWeight(BaseDtype.FP16, data, null, 0);
  }

  /**
   * x·Ŵᵀ + b in float32.
   *
   * @param x input // (..., in) float32
   * @param bias (out) float32 or null
   * @return // (..., out)
   */
  public NDArray linear(NDArray x, NDArray bias) {
    return linear(x, bias, SLICE_ELEMENTS);
  }

  /**
   * {@link #linear(NDArray, NDArray)} widening at most {@code sliceElements} at once without a
   * graph.
   */
  NDArray linear(NDArray x, NDArray bias, long sliceElements) {
    long out = data.getShape().get(0);
    long in = data.getShape().get(1);
    long rows = x.size() / in;
    boolean scaleAfter = scalesProduct(rows);
    if (out * in > sliceElements && !JniUtils.isGradMode()) {
      return linearBySlices(x, bias, scaleAfter, Math.max(1, sliceElements / in));
    }
    return rowsProduct(x, 0, out, bias, scaleAfter);
  }

  /**
   * x·Ŵ[r0:r1]ᵀ + b from a float32 copy of those rows made and closed here (graph-free: the weight
   * is frozen). With {@code scaleAfter} (few input rows) the codes are multiplied and the (rows, r1
   * − r0) product scaled, rather than the weight; else the weight is dequantised in place, which
   * makes no output-sized temporary.
   *
   * @param x // (..., in)
   * @param bias (r1 − r0) or null
   * @return // (..., r1 − r0)
   */
  private NDArray rowsProduct(NDArray x, long r0, long r1, NDArray bias, boolean scaleAfter) {
    if (scaleAfter) {
      NDArray y;
      try (NDArray codes = widenRows(r0, r1);
          NDArray s = scale.get(rowRange(r0, r1))) {
        y = Gemm.linear(x, codes, null).mul(s);
      }
      return bias == null ? y : y.add(bias);
    }
    try (NDArray wf = dequantizeRows(r0, r1)) {
      return Gemm.linear(x, wf, bias);
    }
  }

  /** Whether a product with {@code rows} input rows scales the product rather than the weight. */
  private boolean scalesProduct(long rows) {
    return dtype == BaseDtype.INT8 && blockSize == 0 && rows < data.getShape().get(1);
  }

  /**
   * {@link #linear} without a graph, {@code sliceRows} output rows of Ŵ at a time: each slice is
   * widened, multiplied and written into its columns of the result, so no float32 copy of the whole
   * weight exists (an int8 LM head of 151,936 rows would otherwise widen 622 MB per call).
   *
   * @param x // (..., in)
   * @return // (..., out)
   */
  private NDArray linearBySlices(NDArray x, NDArray bias, boolean scaleAfter, long sliceRows) {
    Shape xShape = x.getShape();
    long out = data.getShape().get(0);
    long in = data.getShape().get(1);
    long rows = x.size() / in;
    NDArray x2 = x.reshape(rows, in); // (N, in)
    NDArray y = x.getManager().create(new Shape(rows, out)); // (N, out): every column set below
    for (long r0 = 0; r0 < out; r0 += sliceRows) {
      long r1 = Math.min(out, r0 + sliceRows);
      try (NDScope s = new NDScope()) {
        NDArray b = bias == null ? null : bias.get(rowRange(r0, r1)); // (S)
        y.set(new NDIndex(":, {}:{}", r0, r1), rowsProduct(x2, r0, r1, b, scaleAfter)); // (N, S)
      }
    }
    x2.close();
    long[] shape = xShape.getShape().clone();
    shape[shape.length - 1] = out;
    NDArray result = y.reshape(shape);
    y.close();
    return result;
  }

  /**
   * ∂loss/∂x of {@link #linear} for the upstream gradient {@code g} = ∂loss/∂y, computed as
   * autograd would differentiate that product (few rows: (g·s)·q; else g·Ŵ) from float32 copies
   * made and freed here (a slice of output rows at a time for a large weight); run it without a
   * graph. A backward that dequantises on the fly uses it, so that no float32 copy of Ŵ waits in
   * the graph from the forward to the backward.
   *
   * @param g // (..., out) float32
   * @return // (..., in)
   */
  public NDArray linearInputGradient(NDArray g) {
    return linearInputGradient(g, SLICE_ELEMENTS);
  }

  /** {@link #linearInputGradient(NDArray)} widening at most {@code sliceElements} at once. */
  NDArray linearInputGradient(NDArray g, long sliceElements) {
    long out = data.getShape().get(0);
    long in = data.getShape().get(1);
    long rows = g.size() / out;
    boolean scaleAfter = scalesProduct(rows);
    if (out * in > sliceElements) {
      return inputGradientBySlices(g, scaleAfter, Math.max(1, sliceElements / in));
    }
    return rowsInputGradient(g, 0, out, scaleAfter);
  }

  /**
   * g·Ŵ[r0:r1] as autograd would differentiate {@link #rowsProduct} ((g·s)·q with {@code
   * scaleAfter}), from a float32 copy of those rows made and closed here.
   *
   * @param g // (..., r1 − r0)
   * @return // (..., in)
   */
  private NDArray rowsInputGradient(NDArray g, long r0, long r1, boolean scaleAfter) {
    if (scaleAfter) {
      try (NDArray codes = widenRows(r0, r1);
          NDArray s = scale.get(rowRange(r0, r1));
          NDArray gs = g.mul(s)) {
        return gs.matMul(codes);
      }
    }
    try (NDArray wf = dequantizeRows(r0, r1)) {
      return g.matMul(wf);
    }
  }

  /** g·Ŵ as Σ over slices of output rows of g[:, slice]·Ŵ[slice]. */
  private NDArray inputGradientBySlices(NDArray g, boolean scaleAfter, long sliceRows) {
    Shape gShape = g.getShape();
    long out = data.getShape().get(0);
    long in = data.getShape().get(1);
    long rows = g.size() / out;
    NDArray g2 = g.reshape(rows, out); // (N, out)
    NDArray gx = null; // (N, in)
    for (long r0 = 0; r0 < out; r0 += sliceRows) {
      long r1 = Math.min(out, r0 + sliceRows);
      try (NDScope s = new NDScope()) {
        NDArray gs = g2.get(new NDIndex(":, {}:{}", r0, r1)); // (N, S)
        NDArray part = rowsInputGradient(gs, r0, r1, scaleAfter); // (N, in)
        if (gx == null) {
          gx = part;
          NDScope.unregister(gx);
        } else {
          gx.addi(part);
        }
      }
    }
    g2.close();
    NDScope.register(gx);
    long[] shape = gShape.getShape().clone();
    shape[shape.length - 1] = in;
    NDArray result = gx.reshape(shape);
    gx.close();
    return result;
  }

  /**
   * Rows {@code ids} of Ŵ in float32, for an embedding table stored this way.
   *
   * @param ids row indices // (B, T) int64
   * @return // (B, T, in)
   */
  public NDArray rows(NDArray ids) {
    NDArray codes = Embedding.embedding(ids, data, SparseFormat.DENSE).singletonOrThrow();
    NDArray x = codes.toType(DataType.FLOAT32, false);
    codes.close();
    if (dtype == BaseDtype.FP16) {
      return x;
    }
    long in = data.getShape().get(1);
    if (blockSize == 0) {
      NDArray s =
          Embedding.embedding(ids, scaleColumn, SparseFormat.DENSE).singletonOrThrow(); // (B,T,1)
      return x.mul(s);
    }
    Shape idShape = ids.getShape();
    NDArray s = Embedding.embedding(ids, scale, SparseFormat.DENSE).singletonOrThrow(); // (B,T,NB)
    long[] blocked = new long[idShape.dimension() + 2];
    System.arraycopy(idShape.getShape(), 0, blocked, 0, idShape.dimension());
    blocked[blocked.length - 2] = in / blockSize;
    blocked[blocked.length - 1] = blockSize;
    return x.reshape(new Shape(blocked)).mul(s.expandDims(-1)).reshape(idShape.add(in));
  }

  /** A new float32 copy of Ŵ (out, in); the caller closes it. */
  public NDArray dequantize() {
    return dequantizeRows(0, data.getShape().get(0));
  }

  /** A new float32 copy of rows r0 … r1−1 of Ŵ (r1 − r0, in); the caller closes it. */
  private NDArray dequantizeRows(long r0, long r1) {
    NDIndex rows = rowRange(r0, r1);
    NDArray wf = widenRows(r0, r1); // (R, in)
    if (dtype == BaseDtype.FP16) {
      return wf;
    }
    if (blockSize == 0) {
      try (NDArray s = scaleColumn.get(rows)) { // (R, 1)
        return wf.muli(s);
      }
    }
    long nb = data.getShape().get(1) / blockSize;
    try (NDArray s = scale.get(rows);
        NDArray s3 = s.reshape(r1 - r0, nb, 1);
        NDArray blocks = wf.reshape(r1 - r0, nb, blockSize)) { // a view of wf
      blocks.muli(s3);
    }
    return wf;
  }

  /** Rows r0 … r1−1 of the codes or half-precision values in float32, unscaled (R, in). */
  private NDArray widenRows(long r0, long r1) {
    try (NDArray codes = data.get(rowRange(r0, r1))) { // a view
      return codes.toType(DataType.FLOAT32, false);
    }
  }

  private static NDIndex rowRange(long r0, long r1) {
    return new NDIndex("{}:{}", r0, r1);
  }

  /** The storage type. */
  public BaseDtype dtype() {
    return dtype;
  }

  /** The stored codes or half-precision values // (out, in). */
  public NDArray data() {
    return data;
  }

  /** The float32 scales, (out) or (out, in / blockSize); null for fp16. */
  public NDArray scale() {
    return scale;
  }

  /** 0 for per-channel scales, else the block width. */
  public int blockSize() {
    return blockSize;
  }

  /** The logical shape (out, in). */
  public Shape shape() {
    return data.getShape();
  }

  /** Bytes of the stored data plus the scales. */
  public long bytes() {
    long n = data.size() * data.getDataType().getNumOfBytes();
    if (scale != null) {
      n += scale.size() * 4;
    }
    return n;
  }

  /** Frees the data and scales. */
  @Override
  public void close() {
    data.close();
    if (scale != null) {
      scale.close();
    }
    if (scaleColumn != null) {
      scaleColumn.close();
    }
  }

  @Override
  public String toString() {
    return "QuantizedWeight("
        + dtype
        + ", "
        + data.getShape()
        + (dtype == BaseDtype.INT8
            ? blockSize == 0 ? ", per channel" : ", blocks of " + blockSize
            : "")
        + ")";
  }
}
