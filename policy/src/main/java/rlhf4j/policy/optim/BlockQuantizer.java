package rlhf4j.policy.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Block-wise 8-bit codes with a per-block absmax scale and square-root companding, for Adam
 * moments. A tensor of N elements is read flat and cut into NB = ceil(N / BS) blocks; the last
 * block is implicitly zero-padded. With a = absmax of the block:
 *
 * <pre>
 * signed   (INT8):  c = round(127·sign(x)·sqrt(|x|/a)),  x̃ = a·sign(c)·(c/127)²
 * unsigned (UINT8): c = round(255·sqrt(x/a)),            x̃ = a·(max(c, ½)/255)²
 * </pre>
 *
 * Companding spends the codes where Adam needs them: small entries keep a relative precision of a
 * few percent down to about a/10⁴ instead of rounding to zero at a/255. The unsigned decoder maps
 * code 0 to the top of its bin (a/260100) rather than to 0, so a second-moment entry that was small
 * but not zero never yields a zero denominator; an all-zero block has a = 0 and decodes to 0.
 */
final class BlockQuantizer {

  private BlockQuantizer() {}

  /** Number of blocks for {@code size} elements. */
  static long numBlocks(long size, int blockSize) {
    return (size + blockSize - 1) / blockSize;
  }

  /**
   * Encodes {@code x} into {@code codes} (INT8, shape (N)) and {@code absmax} (FLOAT32, shape (NB))
   * in place. Temporaries join the current {@code NDScope}.
   */
  static void encodeSigned(NDArray x, int blockSize, NDArray codes, NDArray absmax) {
    NDArray blocks = toBlocks(x, blockSize); // (NB, BS)
    NDArray a = blocks.abs().max(new int[] {1}, true); // (NB, 1)
    NDArray unit = blocks.div(a.maximum(Float.MIN_NORMAL)); // in [-1, 1]
    NDArray c = unit.sign().muli(unit.abs().sqrt()).muli(127).round().clip(-127, 127);
    store(c, codes, DataType.INT8);
    absmax.set(new NDIndex(":"), a.reshape(-1).toType(DataType.FLOAT32, false));
  }

  /** Encodes non-negative {@code x} into {@code codes} (UINT8, shape (N)) and {@code absmax}. */
  static void encodeUnsigned(NDArray x, int blockSize, NDArray codes, NDArray absmax) {
    NDArray blocks = toBlocks(x, blockSize); // (NB, BS)
    NDArray a = blocks.max(new int[] {1}, true); // (NB, 1)
    NDArray unit = blocks.div(a.maximum(Float.MIN_NORMAL)).clip(0, 1);
    NDArray c = unit.sqrt().muli(255).round().clip(0, 255);
    store(c, codes, DataType.UINT8);
    absmax.set(new NDIndex(":"), a.reshape(-1).toType(DataType.FLOAT32, false));
  }

  /** Decodes signed codes to an array of {@code shape} and {@code dataType}. */
  static NDArray decodeSigned(
      NDArray codes, NDArray absmax, int blockSize, Shape shape, DataType dataType) {
    NDArray c = codes.toType(dataType, false).divi(127); // (N)
    NDArray x =
        c.sign().muli(c.square()).muli(perElement(absmax, blockSize, codes.size(), dataType));
    return x.reshape(shape);
  }

  /** Decodes unsigned codes to an array of {@code shape} and {@code dataType}. */
  static NDArray decodeUnsigned(
      NDArray codes, NDArray absmax, int blockSize, Shape shape, DataType dataType) {
    NDArray c = codes.toType(dataType, false).maximum(0.5).divi(255); // (N)
    NDArray x = c.square().muli(perElement(absmax, blockSize, codes.size(), dataType));
    return x.reshape(shape);
  }

  /** x flattened and zero-padded to (NB, BS). */
  private static NDArray toBlocks(NDArray x, int blockSize) {
    long n = x.size();
    long numBlocks = numBlocks(n, blockSize);
    NDArray flat = x.reshape(n);
    long pad = numBlocks * blockSize - n;
    if (pad > 0) {
      flat =
          NDArrays.concat(new NDList(flat, x.getManager().zeros(new Shape(pad), x.getDataType())));
    }
    return flat.reshape(numBlocks, blockSize);
  }

  /** The block scale repeated for each of the n elements: (NB) to (N). */
  private static NDArray perElement(NDArray absmax, int blockSize, long n, DataType dataType) {
    return absmax.toType(dataType, false).repeat(0, blockSize).get(new NDIndex("0:{}", n));
  }

  private static void store(NDArray blockCodes, NDArray codes, DataType dataType) {
    NDArray flat = blockCodes.reshape(-1).get(new NDIndex("0:{}", codes.size()));
    codes.set(new NDIndex(":"), flat.toType(dataType, false));
  }
}
