package rlhf4j.policy.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
  @TempDir Path tmp;

  /** A file with header {@code json} and {@code dataBytes} bytes of data (values 0..n-1). */
  private Path file(String json, int dataBytes) throws IOException {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    for (int i = 0; i < dataBytes; i++) {
      b.put((byte) i);
    }
    Path p = tmp.resolve("model.safetensors");
    Files.write(p, b.array());
    return p;
  }

  private static String message(Path p) {
    return assertThrows(CheckpointException.class, () -> SafeTensors.read(p)).getMessage();
  }

  @Test
  void writeThenReadRoundTripsEveryDtypeWeWrite() throws IOException {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray f = m.create(new float[] {1.5f, -2f, 3.25f}, new ai.djl.ndarray.types.Shape(3, 1));
      NDArray l = m.create(new long[] {7, -9});
      NDArray h = f.toType(DataType.FLOAT16, false);
      Path p = tmp.resolve("x.safetensors");
      SafeTensors.write(p, Map.of("f", f, "l", l, "h", h), Map.of("format", "pt"));
      SafeTensors.Contents c = SafeTensors.read(p);
      assertArrayEquals(new long[] {3, 1}, c.get("f").shape());
      assertArrayEquals(f.toFloatArray(), c.get("f").toNDArray(m).toFloatArray());
      assertArrayEquals(l.toLongArray(), c.get("l").toNDArray(m).toLongArray());
      assertArrayEquals(f.toFloatArray(), c.get("h").toNDArray(m).toFloatArray()); // widened
      assertEquals("pt", c.metadata().get("format"));
    }
  }

  @Test
  void bf16IsWidenedToFloat32InJava() throws IOException {
    // bf16 of 1.0 = 0x3F80, of -2.5 = 0xC020
    String json = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
    Path p = file(json, 0);
    byte[] all = Files.readAllBytes(p);
    byte[] withData = java.util.Arrays.copyOf(all, all.length + 4);
    withData[all.length] = (byte) 0x80;
    withData[all.length + 1] = 0x3F;
    withData[all.length + 2] = 0x20;
    withData[all.length + 3] = (byte) 0xC0;
    Files.write(p, withData);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = SafeTensors.read(p).get("w").toNDArray(m);
      assertEquals(DataType.FLOAT32, a.getDataType());
      assertArrayEquals(new float[] {1f, -2.5f}, a.toFloatArray());
    }
  }

  @Test
  void truncatedFileIsNamed() throws IOException {
    Path p = tmp.resolve("model.safetensors");
    Files.write(p, new byte[] {1, 2, 3});
    String msg = message(p);
    assertTrue(msg.contains("model.safetensors") && msg.contains("truncated"), msg);
  }

  @Test
  void headerLengthPastEndOfFileIsRefused() throws IOException {
    Path p = tmp.resolve("model.safetensors");
    ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(1_000_000L);
    Files.write(p, b.array());
    String msg = message(p);
    assertTrue(msg.contains("header length 1000000") && msg.contains("model.safetensors"), msg);
  }

  @Test
  void offsetsOutsideTheFileAreNamed() throws IOException {
    String msg =
        message(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8));
    assertTrue(msg.contains("'a'") && msg.contains("outside"), msg);
  }

  @Test
  void overlappingTensorsAreNamed() throws IOException {
    String json =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
    String msg = message(file(json, 12));
    assertTrue(msg.contains("'a'") && msg.contains("'b'") && msg.contains("overlap"), msg);
  }

  @Test
  void unknownDtypeIsNamed() throws IOException {
    String msg =
        message(file("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2));
    assertTrue(msg.contains("'a'") && msg.contains("F8_E4M3"), msg);
  }

  @Test
  void shapeThatDisagreesWithByteLengthIsNamed() throws IOException {
    String msg =
        message(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8));
    assertTrue(msg.contains("'a'") && msg.contains("needs 12"), msg);
  }

  @Test
  void invalidJsonHeaderIsReported() throws IOException {
    String msg = message(file("{not json", 0));
    assertTrue(msg.contains("model.safetensors") && msg.contains("JSON"), msg);
  }

  @Test
  void headerFieldsOfTheWrongTypeAreNamedNotCrashes() throws IOException {
    String ok = "\"shape\":[2],\"data_offsets\":[0,8]";
    assertTrue(
        message(file("{\"w\":{\"dtype\":{\"x\":1}," + ok + "}}", 8))
            .contains("tensor 'w' field dtype must be a string"));
    assertTrue(
        message(file("{\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8))
            .contains("field shape must be an array"));
    assertTrue(
        message(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8))
            .contains("field shape[0] must be a whole number"));
    assertTrue(
        message(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,\"8\"]}}", 8))
            .contains("field data_offsets[1] must be a whole number"));
    assertTrue(
        message(
                file(
                    "{\"w\":{\"dtype\":\"F32\",\"shape\":[18446744073709551624],"
                        + "\"data_offsets\":[0,8]}}",
                    8))
            .contains("must be a whole number below 2^63"));
    assertTrue(
        message(file("{\"__metadata__\":{\"format\":[1]},\"w\":{\"dtype\":\"F32\"," + ok + "}}", 8))
            .contains("__metadata__ entry 'format' must be a string"));
  }

  @Test
  void shapeWhoseSizeOverflowsIsCalledCorrupt() throws IOException {
    String m =
        message(
            file(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                    + "\"data_offsets\":[0,8]}}",
                8));
    assertTrue(m.contains("overflows 64 bits"), m);
    m =
        message(
            file(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],"
                    + "\"data_offsets\":[0,8]}}",
                8));
    assertTrue(m.contains("overflows 64 bits"), m);
  }
}
