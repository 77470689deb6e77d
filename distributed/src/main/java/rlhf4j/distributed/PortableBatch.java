package rlhf4j.distributed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.Serializable;
import rlhf4j.policy.model.ResponseBatch;

/**
 * A {@link ResponseBatch} as plain arrays, for a data-parallel update's tasks: token ids and masks
 * keep their values and data types exactly (ids as longs, masks as 0/1 floats).
 *
 * @param ids (B, S) prompt and response ids
 * @param attentionMask (B, S) attention mask
 * @param responses (B, T) response ids
 * @param mask (B, T) the loss mask
 * @param queryWidth the padded prompt width
 */
record PortableBatch(Part ids, Part attentionMask, Part responses, Part mask, int queryWidth)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * One array: its data type's name, shape and values (integers as longs, else floats).
   *
   * @param dataType {@link DataType#name()}
   * @param shape the array's shape
   * @param longs the values of an integer or boolean array, else null
   * @param floats the values of a floating-point array, else null
   */
  record Part(String dataType, long[] shape, long[] longs, float[] floats) implements Serializable {
    private static final long serialVersionUID = 1L;

    static Part of(NDArray x) {
      DataType t = x.getDataType();
      long[] shape = x.getShape().getShape();
      return t.isFloating()
          ? new Part(t.name(), shape, null, x.toType(DataType.FLOAT32, false).toFloatArray())
          : new Part(t.name(), shape, x.toType(DataType.INT64, false).toLongArray(), null);
    }

    NDArray toArray(NDManager m) {
      NDArray x =
          longs != null ? m.create(longs, new Shape(shape)) : m.create(floats, new Shape(shape));
      DataType t = DataType.valueOf(dataType);
      return x.getDataType() == t ? x : x.toType(t, false);
    }
  }

  static PortableBatch of(ResponseBatch b) {
    return new PortableBatch(
        Part.of(b.ids()),
        Part.of(b.attentionMask()),
        Part.of(b.responses()),
        Part.of(b.mask()),
        b.queryWidth());
  }

  /** The batch in {@code m}. */
  ResponseBatch toBatch(NDManager m) {
    return new ResponseBatch(
        ids.toArray(m),
        attentionMask.toArray(m),
        responses.toArray(m),
        mask.toArray(m),
        queryWidth);
  }

  /** Rows in the batch. */
  int rows() {
    return Math.toIntExact(ids.shape()[0]);
  }
}
