package rlhf4j.policy.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TensorBoard event files beside metrics.jsonl, read back with a decoder written here from the
 * specs alone (TFRecord framing, protobuf wire format, TensorBoard's event.proto / summary.proto),
 * sharing no code with the writer.
 */
class TensorBoardEventsTest {

  // ---- an independent CRC32C, TFRecord reader and protobuf decoder ------------------------------

  /** Bitwise CRC32C (Castagnoli, reflected polynomial 0x82F63B78), no table, no JDK class. */
  static int crc32c(byte[] b, int off, int len) {
    int c = 0xffffffff;
    for (int i = off; i < off + len; i++) {
      c ^= b[i] & 0xff;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? (c >>> 1) ^ 0x82F63B78 : c >>> 1;
      }
    }
    return ~c;
  }

  static int masked(int crc) {
    return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
  }

  /** The records of a TFRecord file, each CRC checked against {@link #crc32c}. */
  static List<byte[]> records(byte[] file) {
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    List<byte[]> out = new ArrayList<>();
    while (b.hasRemaining()) {
      int start = b.position();
      long length = b.getLong();
      assertEquals(
          masked(crc32c(file, start, 8)), b.getInt(), "length CRC of record " + out.size());
      byte[] data = new byte[(int) length];
      b.get(data);
      assertEquals(masked(crc32c(data, 0, data.length)), b.getInt(), "data CRC");
      out.add(data);
    }
    return out;
  }

  /** One decoded protobuf field: a long for varint / fixed64 / fixed32, a byte[] otherwise. */
  record Field(int number, int wireType, long value, byte[] bytes) {}

  static List<Field> fields(byte[] msg) {
    List<Field> out = new ArrayList<>();
    int[] p = {0};
    while (p[0] < msg.length) {
      long key = varint(msg, p);
      int number = (int) (key >>> 3);
      int wire = (int) (key & 7);
      switch (wire) {
        case 0 -> out.add(new Field(number, wire, varint(msg, p), null));
        case 1 -> {
          long v = ByteBuffer.wrap(msg, p[0], 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
          p[0] += 8;
          out.add(new Field(number, wire, v, null));
        }
        case 5 -> {
          int v = ByteBuffer.wrap(msg, p[0], 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
          p[0] += 4;
          out.add(new Field(number, wire, v, null));
        }
        case 2 -> {
          int n = (int) varint(msg, p);
          byte[] v = new byte[n];
          System.arraycopy(msg, p[0], v, 0, n);
          p[0] += n;
          out.add(new Field(number, wire, 0, v));
        }
        default -> throw new AssertionError("wire type " + wire);
      }
    }
    assertEquals(msg.length, p[0]);
    return out;
  }

  static long varint(byte[] b, int[] p) {
    long v = 0;
    for (int shift = 0; ; shift += 7) {
      int x = b[p[0]++] & 0xff;
      v |= (long) (x & 0x7f) << shift;
      if (x < 0x80) {
        return v;
      }
    }
  }

  /** An Event as this test understands it (event.proto: 1 wall_time, 2 step, 3, 5). */
  record Event(double wallTime, long step, String fileVersion, Map<String, Float> scalars) {}

  static Event event(byte[] data) {
    double wall = 0;
    long step = 0;
    String version = null;
    Map<String, Float> scalars = new LinkedHashMap<>();
    for (Field f : fields(data)) {
      switch (f.number()) {
        case 1 -> {
          assertEquals(1, f.wireType(), "wall_time is a double");
          wall = Double.longBitsToDouble(f.value());
        }
        case 2 -> {
          assertEquals(0, f.wireType(), "step is a varint");
          step = f.value();
        }
        case 3 -> version = new String(f.bytes(), StandardCharsets.UTF_8);
        case 5 -> {
          for (Field value : fields(f.bytes())) { // Summary: repeated Value value = 1
            assertEquals(1, value.number());
            String tag = null;
            Float v = null;
            for (Field g : fields(value.bytes())) { // Value: tag = 1, simple_value = 2
              if (g.number() == 1) {
                tag = new String(g.bytes(), StandardCharsets.UTF_8);
              } else {
                assertEquals(2, g.number());
                assertEquals(5, g.wireType(), "simple_value is a 32-bit float");
                v = Float.intBitsToFloat((int) g.value());
              }
            }
            scalars.put(tag, v);
          }
        }
        default -> throw new AssertionError("unexpected Event field " + f.number());
      }
    }
    return new Event(wall, step, version, scalars);
  }

  static List<Event> events(Path file) throws IOException {
    return records(Files.readAllBytes(file)).stream().map(TensorBoardEventsTest::event).toList();
  }

  static byte[] bytes(int... v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int x : v) {
      out.write(x);
    }
    return out.toByteArray();
  }

  // ---- tests
  // -------------------------------------------------------------------------------------

  @Test
  void crc32cMatchesTheStandardTestVectorInBothImplementations() {
    byte[] v = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertEquals(0xE3069283, crc32c(v, 0, v.length));
    CRC32C jdk = new CRC32C();
    jdk.update(v);
    assertEquals(0xE3069283L, jdk.getValue());
    assertEquals(masked(0xE3069283), TfRecords.maskedCrc32c(v, 0, v.length));
  }

  /**
   * Event{wall_time: 1.0, step: 1, summary{value{tag: "a", simple_value: 1.0}}} by hand:
   *
   * <pre>
   * 09 | 00 00 00 00 00 00 f0 3f   field 1 wire 1 (key 1<<3|1): 1.0 as a little-endian double
   * 10 | 01                        field 2 wire 0 (2<<3|0): step 1
   * 2a | 0a                        field 5 wire 2 (5<<3|2): Summary, 10 bytes
   *   0a | 08                      Summary field 1 wire 2: Value, 8 bytes
   *     0a | 01 | 61               Value field 1 (tag), 1 byte: "a"
   *     15 | 00 00 80 3f           Value field 2 wire 5 (2<<3|5): 1.0f little-endian
   * </pre>
   *
   * 23 bytes in all. Framed: length 23 as a uint64 (17 00 00 00 00 00 00 00); its CRC32C is
   * 0xf207be3a, masked ((c >>> 15 | c << 17) + 0xa282ead8) 0x1ef8cee7, written e7 ce f8 1e; the
   * data's CRC32C is 0xa501b066, masked 0x035034db, written db 34 50 03 (the CRCs from the bitwise
   * {@link #crc32c} above, which the test checks as well).
   */
  @Test
  void aSmallRecordHasTheBytesWorkedOutByHand() {
    byte[] event = EventProtos.scalars(1.0, 1, Map.of("a", 1.0f));
    byte[] expected =
        bytes(
            0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0x01, 0x2a, 0x0a, 0x0a, 0x08, 0x0a, 0x01,
            0x61, 0x15, 0, 0, 0x80, 0x3f);
    assertArrayEquals(expected, event);
    byte[] length = bytes(0x17, 0, 0, 0, 0, 0, 0, 0);
    assertEquals(0xf207be3a, crc32c(length, 0, 8));
    assertEquals(0x1ef8cee7, masked(0xf207be3a));
    assertEquals(0xa501b066, crc32c(expected, 0, expected.length));
    assertEquals(0x035034db, masked(0xa501b066));
    ByteArrayOutputStream record = new ByteArrayOutputStream();
    record.writeBytes(length);
    record.writeBytes(bytes(0xe7, 0xce, 0xf8, 0x1e));
    record.writeBytes(expected);
    record.writeBytes(bytes(0xdb, 0x34, 0x50, 0x03));
    assertArrayEquals(record.toByteArray(), TfRecords.frame(event));
  }

  @Test
  void metricsWriterWritesOneScalarPerMetricAndStepBesideTheJsonl(@TempDir Path dir)
      throws IOException {
    double before = System.currentTimeMillis() / 1e3;
    Path file = dir.resolve("run/metrics.jsonl");
    Path events;
    try (MetricsWriter w = MetricsWriter.create(file)) {
      events = w.eventFile();
      Map<String, Number> m = new LinkedHashMap<>();
      m.put("objective/kl", 0.5);
      m.put("ppo/loss/total", -1.25);
      m.put("count", 3);
      m.put("bad", Double.NaN);
      m.put("worse", Double.NEGATIVE_INFINITY);
      m.put("none", null);
      w.write(1, m);
      w.write(7, Map.of("objective/kl", 0.25));
    }
    double after = System.currentTimeMillis() / 1e3;
    assertEquals(dir.resolve("run"), events.getParent());
    assertTrue(
        events
            .getFileName()
            .toString()
            .matches("events\\.out\\.tfevents\\.\\d{10}\\.[A-Za-z0-9._-]+\\.rlhf4j"),
        events.toString());

    List<Event> read = events(events);
    assertEquals(3, read.size());
    Event version = read.get(0);
    assertEquals("brain.Event:2", version.fileVersion());
    assertTrue(version.wallTime() >= before - 1 && version.wallTime() <= after + 1);
    assertTrue(version.scalars().isEmpty());

    Event first = read.get(1);
    assertEquals(1, first.step());
    assertEquals(null, first.fileVersion());
    assertTrue(first.wallTime() >= version.wallTime() && first.wallTime() <= after + 1);
    assertEquals(
        List.of("objective/kl", "ppo/loss/total", "count", "bad", "worse"),
        List.copyOf(first.scalars().keySet()),
        "one scalar per numeric metric, null left out, the wall-clock column not repeated");
    assertEquals(0.5f, first.scalars().get("objective/kl"));
    assertEquals(-1.25f, first.scalars().get("ppo/loss/total"));
    assertEquals(3f, first.scalars().get("count"));
    assertTrue(Float.isNaN(first.scalars().get("bad")));
    assertEquals(Float.NEGATIVE_INFINITY, first.scalars().get("worse"));

    Event second = read.get(2);
    assertEquals(7, second.step());
    assertEquals(Map.of("objective/kl", 0.25f), second.scalars());

    // metrics.jsonl keeps its own convention: null for NaN / Inf
    String jsonl = Files.readAllLines(file).get(0);
    assertTrue(jsonl.contains("\"bad\":null") && jsonl.contains("\"worse\":null"), jsonl);
  }

  @Test
  void eachStepIsOnDiskBeforeTheWriterIsClosed(@TempDir Path dir) throws IOException {
    try (MetricsWriter w = MetricsWriter.create(dir.resolve("metrics.jsonl"))) {
      w.write(1, Map.of("x", 1.0));
      List<Event> read = events(w.eventFile());
      assertEquals(2, read.size());
      assertEquals(Map.of("x", 1.0f), read.get(1).scalars());
    }
  }

  @Test
  void resumeCutsTheEventsAfterTheRestoredStepAndATornTail(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("metrics.jsonl");
    Path old;
    try (MetricsWriter w = MetricsWriter.create(file)) {
      old = w.eventFile();
      for (int step = 1; step <= 4; step++) {
        w.write(step, Map.of("x", (double) step));
      }
    }
    // a crash in the middle of a record
    byte[] torn = TfRecords.frame(EventProtos.scalars(0, 5, Map.of("x", 5f)));
    Files.write(old, java.util.Arrays.copyOf(torn, 20), StandardOpenOption.APPEND);

    Path resumed;
    try (MetricsWriter w = MetricsWriter.resume(file, 2)) {
      resumed = w.eventFile();
      w.write(3, Map.of("x", 30.0));
    }
    assertNotEquals(old, resumed);
    List<Path> files = TensorBoardEvents.files(dir, TensorBoardEvents.SUFFIX);
    assertEquals(List.of(old, resumed), files, "the resumed file sorts after the first");
    List<Long> steps = new ArrayList<>();
    List<Float> xs = new ArrayList<>();
    for (Path f : files) {
      List<Event> read = events(f);
      assertEquals("brain.Event:2", read.get(0).fileVersion());
      for (Event e : read.subList(1, read.size())) {
        steps.add(e.step());
        xs.add(e.scalars().get("x"));
      }
    }
    assertEquals(List.of(1L, 2L, 3L), steps);
    assertEquals(List.of(1f, 2f, 30f), xs);
  }

  @Test
  void resumeBeforeTheFirstStepDeletesAnEventFileWithNoStepsLeft(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("metrics.jsonl");
    try (MetricsWriter w = MetricsWriter.create(file)) {
      w.write(3, Map.of("x", 1.0));
    }
    try (MetricsWriter w = MetricsWriter.resume(file, 2)) {
      // the old file is gone (the new one may reuse its name within the same second)
      assertEquals(List.of(w.eventFile()), TensorBoardEvents.files(dir, TensorBoardEvents.SUFFIX));
      List<Event> read = events(w.eventFile());
      assertEquals(1, read.size(), "only the version record");
      assertEquals("brain.Event:2", read.get(0).fileVersion());
    }
  }

  @Test
  void createStartsOverWhileAppendAddsAFileAndOtherFilesAreLeftAlone(@TempDir Path dir)
      throws IOException {
    Path foreign = Files.writeString(dir.resolve("events.out.tfevents.1.host.other"), "x");
    Path file = dir.resolve("metrics.jsonl");
    try (MetricsWriter w = MetricsWriter.create(file)) {
      w.write(1, Map.of("x", 1.0));
    }
    try (MetricsWriter w = MetricsWriter.append(file)) {
      w.write(2, Map.of("x", 2.0));
    }
    try (MetricsWriter w = MetricsWriter.append(file)) {
      w.write(3, Map.of("x", 3.0));
    }
    List<Path> three = TensorBoardEvents.files(dir, TensorBoardEvents.SUFFIX);
    assertEquals(3, three.size(), "append in the same second still gets its own file: " + three);

    Path sft = dir.resolve("sft_metrics.jsonl");
    try (MetricsWriter w = MetricsWriter.create(sft)) {
      assertTrue(w.eventFile().getFileName().toString().endsWith(".rlhf4j.sft_metrics"));
      w.write(1, Map.of("sft/loss", 1.0));
    }
    try (MetricsWriter w = MetricsWriter.create(file)) {
      w.write(1, Map.of("x", 4.0));
    }
    assertEquals(1, TensorBoardEvents.files(dir, TensorBoardEvents.SUFFIX).size());
    assertEquals(1, TensorBoardEvents.files(dir, "rlhf4j.sft_metrics").size());
    assertTrue(Files.exists(foreign));
  }

  @Test
  void stepOfReadsTheStepAndRefusesATruncatedEvent() {
    byte[] e = EventProtos.scalars(12.5, 300, Map.of("k", 2f));
    assertEquals(300, EventProtos.stepOf(e));
    assertEquals(0, EventProtos.stepOf(EventProtos.fileVersion(1)));
    byte[] cut = java.util.Arrays.copyOf(e, e.length - 3);
    assertThrows(IllegalArgumentException.class, () -> EventProtos.stepOf(cut));
  }
}
