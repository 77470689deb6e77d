package rlhf4j.policy.train;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The {@code tensorboard.Event} protocol buffer (the same message as {@code tensorflow.Event}),
 * hand-encoded for scalar summaries so that no protobuf library is needed. Field numbers from
 * TensorBoard's {@code tensorboard/compat/proto/event.proto} and {@code summary.proto}:
 *
 * <pre>
 * message Event {
 *   double wall_time = 1;            // wire type 1 (64-bit), key 0x09
 *   int64 step = 2;                  // wire type 0 (varint), key 0x10
 *   oneof what {
 *     string file_version = 3;       // wire type 2 (length-delimited), key 0x1a
 *     Summary summary = 5;           // wire type 2, key 0x2a
 *   }
 * }
 * message Summary {
 *   repeated Value value = 1;        // wire type 2, key 0x0a
 *   message Value {
 *     string tag = 1;                // wire type 2, key 0x0a
 *     float simple_value = 2;        // wire type 5 (32-bit), key 0x15
 *   }
 * }
 * </pre>
 *
 * Fields are written in field-number order, as protobuf's own serialisers do.
 */
final class EventProtos {
  /** The first event of every file names the format ({@code "brain.Event:2"}, event.proto). */
  static final String FILE_VERSION = "brain.Event:2";

  private static final int VARINT = 0;
  private static final int FIXED64 = 1;
  private static final int LENGTH_DELIMITED = 2;
  private static final int FIXED32 = 5;

  private EventProtos() {}

  /** {@code Event{wall_time, file_version: "brain.Event:2"}}: the first record of a file. */
  static byte[] fileVersion(double wallTime) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    key(out, 1, FIXED64);
    fixed64(out, Double.doubleToRawLongBits(wallTime));
    key(out, 3, LENGTH_DELIMITED);
    bytes(out, FILE_VERSION.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  /**
   * {@code Event{wall_time, step, summary{value{tag, simple_value}...}}}: one simple value per
   * entry of {@code values}, in its order (NaN and infinities are kept: a float holds them).
   */
  static byte[] scalars(double wallTime, long step, Map<String, Float> values) {
    ByteArrayOutputStream summary = new ByteArrayOutputStream();
    values.forEach(
        (tag, v) -> {
          ByteArrayOutputStream value = new ByteArrayOutputStream();
          key(value, 1, LENGTH_DELIMITED);
          bytes(value, tag.getBytes(StandardCharsets.UTF_8));
          key(value, 2, FIXED32);
          fixed32(value, Float.floatToRawIntBits(v));
          key(summary, 1, LENGTH_DELIMITED);
          bytes(summary, value.toByteArray());
        });
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    key(out, 1, FIXED64);
    fixed64(out, Double.doubleToRawLongBits(wallTime));
    key(out, 2, VARINT);
    varint(out, step);
    key(out, 5, LENGTH_DELIMITED);
    bytes(out, summary.toByteArray());
    return out.toByteArray();
  }

  /**
   * The {@code step} (field 2) of an encoded event, 0 when absent (proto3's default); fields this
   * class does not write are skipped by their wire type.
   *
   * @throws IllegalArgumentException when {@code event} is not a well-formed message
   */
  static long stepOf(byte[] event) {
    int[] pos = {0};
    long step = 0;
    while (pos[0] < event.length) {
      long key = readVarint(event, pos);
      int field = (int) (key >>> 3);
      switch ((int) (key & 7)) {
        case VARINT -> {
          long v = readVarint(event, pos);
          if (field == 2) {
            step = v;
          }
        }
        case FIXED64 -> pos[0] += 8;
        case LENGTH_DELIMITED -> {
          long n = readVarint(event, pos);
          if (n < 0 || n > event.length - pos[0]) {
            throw new IllegalArgumentException("field " + field + " runs past the event's end");
          }
          pos[0] += (int) n;
        }
        case FIXED32 -> pos[0] += 4;
        default -> throw new IllegalArgumentException("unknown wire type in key " + key);
      }
    }
    if (pos[0] != event.length) {
      throw new IllegalArgumentException("event ends inside a field");
    }
    return step;
  }

  private static long readVarint(byte[] b, int[] pos) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos[0] >= b.length) {
        throw new IllegalArgumentException("event ends inside a varint");
      }
      byte x = b[pos[0]++];
      v |= (long) (x & 0x7f) << shift;
      if (x >= 0) {
        return v;
      }
    }
    throw new IllegalArgumentException("varint longer than 10 bytes");
  }

  private static void key(ByteArrayOutputStream out, int field, int wireType) {
    varint(out, ((long) field << 3) | wireType);
  }

  /** Base-128, least significant group first; negative values take 10 bytes (two's complement). */
  private static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static void fixed64(ByteArrayOutputStream out, long v) {
    for (int i = 0; i < 8; i++) {
      out.write((int) (v >>> (8 * i)) & 0xff);
    }
  }

  private static void fixed32(ByteArrayOutputStream out, int v) {
    for (int i = 0; i < 4; i++) {
      out.write((v >>> (8 * i)) & 0xff);
    }
  }

  private static void bytes(ByteArrayOutputStream out, byte[] b) {
    varint(out, b.length);
    out.writeBytes(b);
  }
}
