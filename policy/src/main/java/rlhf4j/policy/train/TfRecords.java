package rlhf4j.policy.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * TFRecord framing, the container of TensorBoard's event files (TensorFlow {@code
 * tensorflow/core/lib/io/record_writer.cc}; TensorBoard {@code
 * tensorboard/summary/writer/record_writer.py}). Each record is
 *
 * <pre>
 * uint64 length          little-endian
 * uint32 masked_crc32c(length bytes)
 * byte   data[length]
 * uint32 masked_crc32c(data)
 * </pre>
 *
 * with {@code masked(crc) = ((crc >>> 15) | (crc << 17)) + 0xa282ead8} (TensorFlow {@code
 * tsl/lib/hash/crc32c.h}, {@code Mask}) and CRC32C the Castagnoli CRC ({@link CRC32C}).
 */
final class TfRecords {
  /** TensorFlow's {@code kMaskDelta}. */
  static final int MASK_DELTA = 0xa282ead8;

  /** Bytes around the data: length (8) and its CRC (4) before, the data's CRC (4) after. */
  static final int OVERHEAD = 16;

  private TfRecords() {}

  /** The masked CRC32C of {@code length} bytes of {@code b} from {@code offset}. */
  static int maskedCrc32c(byte[] b, int offset, int length) {
    CRC32C c = new CRC32C();
    c.update(b, offset, length);
    int crc = (int) c.getValue();
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }

  /** One record: {@code data} framed with its length and both masked CRCs. */
  static byte[] frame(byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(data.length + OVERHEAD).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(data.length);
    b.putInt(maskedCrc32c(b.array(), 0, 8));
    b.put(data);
    b.putInt(maskedCrc32c(data, 0, data.length));
    return b.array();
  }

  /**
   * The data of each complete record of {@code file} whose CRCs match, in order, up to the first
   * torn or corrupt record (a crash while writing it): that record and the bytes after it are left
   * out.
   */
  static List<byte[]> readValid(Path file) throws IOException {
    List<byte[]> records = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      while (true) {
        byte[] header = in.readNBytes(12);
        if (header.length < 12) {
          return records;
        }
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        long length = h.getLong();
        if (h.getInt() != maskedCrc32c(header, 0, 8) || length < 0 || length > Integer.MAX_VALUE) {
          return records;
        }
        byte[] data = in.readNBytes((int) length);
        byte[] footer = in.readNBytes(4);
        if (data.length < length || footer.length < 4) {
          return records;
        }
        int crc = ByteBuffer.wrap(footer).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (crc != maskedCrc32c(data, 0, data.length)) {
          return records;
        }
        records.add(data);
      }
    }
  }
}
