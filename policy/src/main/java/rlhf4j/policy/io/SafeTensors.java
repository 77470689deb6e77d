package rlhf4j.policy.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * {@code {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}}, then
 * the raw little-endian tensor bytes. Reading memory-maps the file and validates the header before
 * touching any data; every error names the file and the tensor.
 */
public final class SafeTensors {
  /** Headers larger than this are refused (the format's own reference reader uses 100 MB). */
  public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  private static final Map<String, Integer> DTYPE_BYTES =
      Map.ofEntries(
          Map.entry("F64", 8),
          Map.entry("F32", 4),
          Map.entry("F16", 2),
          Map.entry("BF16", 2),
          Map.entry("I64", 8),
          Map.entry("I32", 4),
          Map.entry("I16", 2),
          Map.entry("I8", 1),
          Map.entry("U8", 1),
          Map.entry("BOOL", 1));

  private SafeTensors() {}

  /** A parsed, validated file: its tensors (in header order) and its metadata. */
  public record Contents(Path file, Map<String, TensorData> tensors, Map<String, String> metadata) {
    /** The tensor called {@code name}, or an error naming the file and the tensor. */
    public TensorData get(String name) {
      TensorData t = tensors.get(name);
      if (t == null) {
        throw CheckpointException.of(file, "has no tensor '" + name + "'");
      }
      return t;
    }
  }

  /** Bytes per element of a safetensors dtype, or -1 if unknown. */
  public static int dtypeBytes(String dtype) {
    return DTYPE_BYTES.getOrDefault(dtype, -1);
  }

  /**
   * The DJL data type for a safetensors dtype that DJL can hold natively.
   *
   * @throws IllegalArgumentException for BF16 or an unknown dtype
   */
  public static DataType djlType(String dtype) {
    switch (dtype) {
      case "F32":
        return DataType.FLOAT32;
      case "F64":
        return DataType.FLOAT64;
      case "F16":
        return DataType.FLOAT16;
      case "I64":
        return DataType.INT64;
      case "I32":
        return DataType.INT32;
      case "I8":
        return DataType.INT8;
      case "U8":
        return DataType.UINT8;
      case "BOOL":
        return DataType.BOOLEAN;
      default:
        throw new IllegalArgumentException(
            "dtype " + dtype + " has no safe DJL type (DJL aborts the JVM on it); widen it first");
    }
  }

  /**
   * The safetensors dtype string for a DJL type we write.
   *
   * @throws IllegalArgumentException for a type safetensors files of rlhf4j never hold
   */
  public static String dtypeName(DataType type) {
    switch (type) {
      case FLOAT32:
        return "F32";
      case FLOAT64:
        return "F64";
      case FLOAT16:
        return "F16";
      case INT64:
        return "I64";
      case INT32:
        return "I32";
      case INT8:
        return "I8";
      case UINT8:
        return "U8";
      case BOOLEAN:
        return "BOOL";
      default:
        throw new IllegalArgumentException(
            "cannot write arrays of type " + type + " to safetensors");
    }
  }

  /**
   * Memory-maps and validates {@code file}. The returned buffers are read-only views of the file;
   * copy what you keep ({@link TensorData#toNDArray}).
   */
  public static Contents read(Path file) {
    long size;
    MappedByteBuffer map;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      size = ch.size();
      if (size < 8) {
        throw CheckpointException.of(
            file, "is truncated: " + size + " bytes, fewer than the 8-byte header length");
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(lenBuf, 0);
      long headerLen = lenBuf.getLong(0);
      if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
        throw CheckpointException.of(
            file,
            "header length "
                + headerLen
                + " is impossible for a file of "
                + size
                + " bytes (it must be at least 2, at most "
                + MAX_HEADER_BYTES
                + " and fit inside the file): the file is truncated or not safetensors");
      }
      ByteBuffer hdr = ByteBuffer.allocate((int) headerLen);
      ch.read(hdr, 8);
      String json = new String(hdr.array(), StandardCharsets.UTF_8);
      long dataStart = 8 + headerLen;
      long dataLen = size - dataStart;
      if (dataLen > Integer.MAX_VALUE) {
        return parse(file, json, dataLen, null, ch, dataStart);
      }
      map = ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataLen);
      return parse(file, json, dataLen, map, ch, dataStart);
    } catch (IOException e) {
      throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static Contents parse(
      Path file, String json, long dataLen, MappedByteBuffer map, FileChannel ch, long dataStart)
      throws IOException {
    JsonObject root;
    try {
      JsonElement el = JsonParser.parseString(json.trim());
      if (!el.isJsonObject()) {
        throw CheckpointException.of(file, "header is not a JSON object");
      }
      root = el.getAsJsonObject();
    } catch (JsonParseException e) {
      throw CheckpointException.of(file, "header is not valid JSON: " + e.getMessage());
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    record Span(String name, long begin, long end) {}
    List<Span> spans = new ArrayList<>();
    Map<String, TensorData> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : root.entrySet()) {
      String name = e.getKey();
      if (name.equals("__metadata__")) {
        if (e.getValue().isJsonObject()) {
          for (Map.Entry<String, JsonElement> m : e.getValue().getAsJsonObject().entrySet()) {
            JsonElement v = m.getValue();
            if (!v.isJsonNull() && !v.isJsonPrimitive()) {
              throw CheckpointException.of(
                  file,
                  "__metadata__ entry '"
                      + m.getKey()
                      + "' must be a string, got "
                      + v
                      + ": the header is not safetensors");
            }
            metadata.put(m.getKey(), v.isJsonNull() ? null : v.getAsString());
          }
        }
        continue;
      }
      String where = "tensor '" + name + "'";
      if (!e.getValue().isJsonObject()) {
        throw CheckpointException.of(file, where + " has no {dtype, shape, data_offsets} entry");
      }
      JsonObject t = e.getValue().getAsJsonObject();
      if (!t.has("dtype") || !t.has("shape") || !t.has("data_offsets")) {
        throw CheckpointException.of(file, where + " lacks dtype, shape or data_offsets");
      }
      String dtype = string(file, where, "dtype", t.get("dtype"));
      int width = dtypeBytes(dtype);
      if (width < 0) {
        throw CheckpointException.of(
            file,
            where + " has unknown dtype '" + dtype + "' (known: " + DTYPE_BYTES.keySet() + ")");
      }
      JsonArray shapeJson = array(file, where, "shape", t.get("shape"));
      long[] shape = new long[shapeJson.size()];
      long numel = 1;
      for (int i = 0; i < shape.length; i++) {
        shape[i] = integer(file, where, "shape[" + i + "]", shapeJson.get(i));
        if (shape[i] < 0) {
          throw CheckpointException.of(file, where + " has a negative dimension " + shape[i]);
        }
        numel = elements(file, where, numel, shape[i], shape);
      }
      elements(file, where, numel, width, shape); // the byte count must fit a long too
      JsonArray off = array(file, where, "data_offsets", t.get("data_offsets"));
      if (off.size() != 2) {
        throw CheckpointException.of(file, where + " data_offsets must be [begin, end]");
      }
      long begin = integer(file, where, "data_offsets[0]", off.get(0));
      long end = integer(file, where, "data_offsets[1]", off.get(1));
      if (begin < 0 || end < begin || end > dataLen) {
        throw CheckpointException.of(
            file,
            where
                + " has data_offsets ["
                + begin
                + ", "
                + end
                + "] outside the "
                + dataLen
                + "-byte data section: the file is truncated or corrupt");
      }
      if (end - begin != numel * width) {
        throw CheckpointException.of(
            file,
            where
                + " has "
                + (end - begin)
                + " bytes but dtype "
                + dtype
                + " x shape "
                + java.util.Arrays.toString(shape)
                + " needs "
                + numel * width);
      }
      spans.add(new Span(name, begin, end));
      ByteBuffer bytes;
      if (map != null) {
        bytes = map.slice((int) begin, (int) (end - begin)).asReadOnlyBuffer();
      } else {
        bytes = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, end - begin);
      }
      tensors.put(name, new TensorData(name, dtype, shape, bytes.order(ByteOrder.LITTLE_ENDIAN)));
    }
    spans.sort(Comparator.comparingLong(Span::begin).thenComparingLong(Span::end));
    for (int i = 1; i < spans.size(); i++) {
      Span a = spans.get(i - 1);
      Span b = spans.get(i);
      if (b.begin() < a.end()) {
        throw CheckpointException.of(
            file,
            "tensors '"
                + a.name()
                + "' and '"
                + b.name()
                + "' overlap (bytes "
                + b.begin()
                + ".."
                + a.end()
                + "): the file is corrupt");
      }
    }
    return new Contents(file, Collections.unmodifiableMap(tensors), metadata);
  }

  private static String string(Path file, String where, String field, JsonElement v) {
    if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
      throw CheckpointException.of(file, where + " field " + field + " must be a string, got " + v);
    }
    return v.getAsString();
  }

  private static JsonArray array(Path file, String where, String field, JsonElement v) {
    if (v == null || !v.isJsonArray()) {
      throw CheckpointException.of(file, where + " field " + field + " must be an array, got " + v);
    }
    return v.getAsJsonArray();
  }

  /** A whole number that fits a long, or an error naming the field and the value. */
  private static long integer(Path file, String where, String field, JsonElement v) {
    if (v != null && v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()) {
      try {
        return new java.math.BigDecimal(v.getAsString()).longValueExact();
      } catch (ArithmeticException | NumberFormatException e) {
        // fall through to the error below
      }
    }
    throw CheckpointException.of(
        file, where + " field " + field + " must be a whole number below 2^63, got " + v);
  }

  private static long elements(Path file, String where, long a, long b, long[] shape) {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      throw CheckpointException.of(
          file,
          where
              + " has shape "
              + java.util.Arrays.toString(shape)
              + " whose size overflows 64 bits: the file is corrupt");
    }
  }

  /**
   * Writes {@code tensors} (name → array) atomically: a temporary file beside {@code file}, then a
   * rename. The header is padded with spaces to a multiple of 8 bytes so the data is aligned.
   */
  public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata)
      throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    JsonObject header = new JsonObject();
    if (metadata != null && !metadata.isEmpty()) {
      JsonObject meta = new JsonObject();
      metadata.forEach(meta::addProperty);
      header.add("__metadata__", meta);
    }
    List<String> names = new ArrayList<>(tensors.keySet());
    Collections.sort(names);
    long offset = 0;
    List<byte[]> payloads = new ArrayList<>();
    for (String name : names) {
      NDArray a = tensors.get(name);
      String dtype = dtypeName(a.getDataType());
      ByteBuffer bb = a.toByteBuffer();
      byte[] raw = new byte[bb.remaining()];
      bb.get(raw);
      JsonObject entry = new JsonObject();
      entry.addProperty("dtype", dtype);
      JsonArray shape = new JsonArray();
      for (long d : a.getShape().getShape()) {
        shape.add(d);
      }
      entry.add("shape", shape);
      JsonArray off = new JsonArray();
      off.add(offset);
      off.add(offset + raw.length);
      entry.add("data_offsets", off);
      header.add(name, entry);
      payloads.add(raw);
      offset += raw.length;
    }
    Gson gson = new GsonBuilder().disableHtmlEscaping().create();
    byte[] json = gson.toJson(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    byte[] headerBytes = new byte[padded];
    System.arraycopy(json, 0, headerBytes, 0, json.length);
    for (int i = json.length; i < padded; i++) {
      headerBytes[i] = ' ';
    }
    AtomicFiles.write(
        file,
        out -> {
          ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
          len.putLong(padded);
          out.write(len.array());
          out.write(headerBytes);
          for (byte[] p : payloads) {
            out.write(p);
          }
        });
  }
}
