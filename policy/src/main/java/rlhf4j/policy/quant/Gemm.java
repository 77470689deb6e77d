package rlhf4j.policy.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** y = x·Wᵀ + b in the operand order libtorch's CPU GEMM runs fastest. */
public final class Gemm {
  private Gemm() {}

  /**
   * Inputs with at most this many rows (all leading dimensions together) are multiplied weight
   * first, as (W·xᵀ)ᵀ. Same product, but libtorch's CPU GEMM (the one DJL ships) runs it 1.2–3×
   * faster for few rows: measured with 2 threads, 8 rows, W (50257, 768): 34 ms instead of 78; W
   * (768, 3072): 1.4 ms instead of 2.5; at 256 rows still 10–20% faster, at 384 and more no gain.
   * Decoding one token for a batch of 8 is exactly that case.
   */
  static final long WEIGHT_FIRST_MAX_ROWS = 256;

  /**
   * x·Wᵀ + b, autograd-safe; the result belongs to {@code x}'s manager (never the weight's).
   *
   * @param x // (..., in)
   * @param w // (out, in)
   * @param bias // (out) or null
   * @return // (..., out)
   */
  public static NDArray linear(NDArray x, NDArray w, NDArray bias) {
    Shape shape = x.getShape();
    long in = shape.get(shape.dimension() - 1);
    long rows = in == 0 ? 0 : shape.size() / in;
    if (rows == 0 || rows > WEIGHT_FIRST_MAX_ROWS) {
      return ai.djl.nn.core.Linear.linear(x, w, bias).singletonOrThrow();
    }
    NDArray yt = w.matMul(x.reshape(rows, in).transpose()); // (out, rows)
    yt.attach(x.getManager()); // a result joins its left operand's manager: not the weight's
    NDArray y = yt.transpose(); // (rows, out)
    if (bias != null) {
      y = y.add(bias);
    }
    long[] out = shape.getShape().clone(); // getShape() is the Shape's own array
    out[out.length - 1] = w.getShape().get(0);
    return y.reshape(out);
  }
}
