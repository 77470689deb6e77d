package rlhf4j.policy.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One tensor read from a safetensors file, still as raw little-endian bytes.
 *
 * @param name the tensor's key in the file
 * @param dtype the safetensors dtype string ("F32", "F16", "BF16", ...)
 * @param shape the tensor's shape
 * @param bytes the raw bytes (a read-only view of the mapped file)
 */
public record TensorData(String name, String dtype, long[] shape, ByteBuffer bytes) {

  /** Number of elements. */
  public long numel() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  /**
   * Copies the tensor into {@code manager} as float32 (F16 and BF16 are widened, BF16 in Java since
   * DJL aborts the JVM on BF16 arrays). Integer dtypes keep their type.
   */
  public NDArray toNDArray(NDManager manager) {
    Shape s = new Shape(shape);
    if (numel() == 0) {
      return manager.zeros(
          s,
          "BF16".equals(dtype) || "F16".equals(dtype) || "F64".equals(dtype)
              ? DataType.FLOAT32
              : SafeTensors.djlType(dtype));
    }
    ByteBuffer src = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case "BF16":
        {
          int n = Math.toIntExact(numel());
          ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
          for (int i = 0; i < n; i++) {
            out.putInt(i * 4, (src.getShort(i * 2) & 0xFFFF) << 16);
          }
          return ownedCopy(manager, out, s, DataType.FLOAT32, null);
        }
      case "F64":
        return ownedCopy(manager, src, s, DataType.FLOAT64, DataType.FLOAT32);
      case "F16":
        return ownedCopy(manager, src, s, DataType.FLOAT16, DataType.FLOAT32);
      default:
        return ownedCopy(manager, src, s, SafeTensors.djlType(dtype), null);
    }
  }

  /**
   * Copies the tensor into {@code manager} in its own dtype, bit for bit (no widening), e.g. to
   * restore saved state exactly.
   *
   * @throws IllegalArgumentException for BF16 or another dtype DJL cannot hold
   */
  public NDArray toNDArrayExact(NDManager manager) {
    DataType type = SafeTensors.djlType(dtype);
    Shape s = new Shape(shape);
    if (numel() == 0) {
      return manager.zeros(s, type);
    }
    return ownedCopy(manager, bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN), s, type, null);
  }

  /**
   * Wraps the (direct, possibly memory-mapped) bytes zero-copy, then copies them into native memory
   * owned by {@code manager} (optionally casting), so the file mapping can be released.
   */
  private static NDArray ownedCopy(
      NDManager manager, ByteBuffer direct, Shape s, DataType type, DataType castTo) {
    try (NDArray view = manager.create(direct, s, type)) {
      return castTo == null ? view.duplicate() : view.toType(castTo, true);
    }
  }
}
