package rlhf4j.policy.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class BlockQuantizerTest {

  @Test
  void signedCodesFollowSquareRootCompandingPerBlock() {
    try (NDManager manager = NDManager.newBaseManager()) {
      // two blocks of 4, the second padded: absmax 1 and 0.5
      NDArray x = manager.create(new float[] {1f, -0.36f, 0.01f, 0f, 0.5f, 0.25f, -0.1f});
      NDArray codes = manager.zeros(new Shape(7), DataType.INT8);
      NDArray absmax = manager.zeros(new Shape(2), DataType.FLOAT32);
      BlockQuantizer.encodeSigned(x, 4, codes, absmax);
      // 127·sign·sqrt(|x|/a): 1 → 127, -0.6·127 → -76, 0.1·127 → 13; sqrt(0.5)·127 → 90,
      // -sqrt(0.2)·127 = -56.8 → -57
      assertArrayEquals(new byte[] {127, -76, 13, 0, 127, 90, -57}, codes.toByteArray());
      assertArrayEquals(new float[] {1f, 0.5f}, absmax.toFloatArray());
      float[] decoded =
          BlockQuantizer.decodeSigned(codes, absmax, 4, new Shape(7), DataType.FLOAT32)
              .toFloatArray();
      float[] expected = {
        1f,
        (float) -Math.pow(76 / 127.0, 2),
        (float) Math.pow(13 / 127.0, 2),
        0f,
        0.5f,
        (float) (0.5 * Math.pow(90 / 127.0, 2)),
        (float) (-0.5 * Math.pow(57 / 127.0, 2))
      };
      assertArrayEquals(expected, decoded, 1e-7f);
    }
  }

  @Test
  void unsignedCodesFloorTheZeroCodeExceptInAllZeroBlocks() {
    try (NDManager manager = NDManager.newBaseManager()) {
      // blocks [4, 2, 0, 1e-7], [0, 0, 0, 0], [9]
      NDArray x = manager.create(new float[] {4f, 2f, 0f, 1e-7f, 0f, 0f, 0f, 0f, 9f});
      NDArray codes = manager.zeros(new Shape(9), DataType.UINT8);
      NDArray absmax = manager.zeros(new Shape(3), DataType.FLOAT32);
      BlockQuantizer.encodeUnsigned(x, 4, codes, absmax);
      // 255·sqrt(x/a): sqrt(0.5)·255 = 180.3 → 180
      assertArrayEquals(
          new byte[] {(byte) 255, (byte) 180, 0, 0, 0, 0, 0, 0, (byte) 255}, codes.toByteArray());
      assertArrayEquals(new float[] {4f, 0f, 9f}, absmax.toFloatArray());
      float[] decoded =
          BlockQuantizer.decodeUnsigned(codes, absmax, 4, new Shape(3, 3), DataType.FLOAT32)
              .toFloatArray();
      float floor = (float) (4 * Math.pow(0.5 / 255, 2));
      float[] expected = {
        4f, (float) (4 * Math.pow(180 / 255.0, 2)), floor, floor, 0f, 0f, 0f, 0f, 9f
      };
      assertArrayEquals(expected, decoded, 1e-6f);
    }
  }
}
