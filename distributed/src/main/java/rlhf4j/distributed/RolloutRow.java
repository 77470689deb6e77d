package rlhf4j.distributed;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One prompt's rollout as an executor sends it back: per-token arrays of the response (length T of
 * this row) and the row's scores. {@link #encode} packs a partition's rows into the bytes that
 * travel (so the bytes returned per step are exactly counted).
 *
 * @param index the prompt's index in the step's batch
 * @param response generated ids // (T)
 * @param logProbs the policy's log-probs of them // (T)
 * @param values the value head's values, or null without a value head // (T)
 * @param refLogProbs the reference's (adapters off) log-probs, or null when not asked for // (T)
 * @param scores the reward's score (PPO), or each reward function's (critic-free; NaN: none) // (K)
 * @param endedWithEos whether the response ends with EOS
 * @param text the decoded response, or null without a tokenizer
 */
public record RolloutRow(
    int index,
    long[] response,
    float[] logProbs,
    float[] values,
    float[] refLogProbs,
    float[] scores,
    boolean endedWithEos,
    String text) {

  /** Packs rows into bytes. */
  public static byte[] encode(List<RolloutRow> rows) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(rows.size());
      for (RolloutRow r : rows) {
        out.writeInt(r.index);
        out.writeInt(r.response.length);
        for (long id : r.response) {
          out.writeLong(id);
        }
        writeFloats(out, r.logProbs);
        out.writeBoolean(r.values != null);
        if (r.values != null) {
          writeFloats(out, r.values);
        }
        out.writeBoolean(r.refLogProbs != null);
        if (r.refLogProbs != null) {
          writeFloats(out, r.refLogProbs);
        }
        writeFloats(out, r.scores);
        out.writeBoolean(r.endedWithEos);
        out.writeBoolean(r.text != null);
        if (r.text != null) {
          byte[] utf8 = r.text.getBytes(StandardCharsets.UTF_8);
          out.writeInt(utf8.length);
          out.write(utf8);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Unpacks what {@link #encode} packed. */
  public static List<RolloutRow> decode(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int n = in.readInt();
      List<RolloutRow> rows = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int index = in.readInt();
        long[] response = new long[in.readInt()];
        for (int j = 0; j < response.length; j++) {
          response[j] = in.readLong();
        }
        float[] logProbs = readFloats(in);
        float[] values = in.readBoolean() ? readFloats(in) : null;
        float[] ref = in.readBoolean() ? readFloats(in) : null;
        float[] scores = readFloats(in);
        boolean eos = in.readBoolean();
        String text = null;
        if (in.readBoolean()) {
          byte[] utf8 = new byte[in.readInt()];
          in.readFully(utf8);
          text = new String(utf8, StandardCharsets.UTF_8);
        }
        rows.add(new RolloutRow(index, response, logProbs, values, ref, scores, eos, text));
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException("a rollout partition's bytes are corrupt", e);
    }
  }

  private static void writeFloats(DataOutputStream out, float[] a) throws IOException {
    out.writeInt(a.length);
    for (float x : a) {
      out.writeFloat(x);
    }
  }

  private static float[] readFloats(DataInputStream in) throws IOException {
    float[] a = new float[in.readInt()];
    for (int i = 0; i < a.length; i++) {
      a[i] = in.readFloat();
    }
    return a;
  }
}
