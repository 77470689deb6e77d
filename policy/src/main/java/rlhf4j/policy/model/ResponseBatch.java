package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Queries and responses laid out for one forward (a PPO/GRPO/RLOO step, a reference or KL pass):
 * queries left-padded to width P, responses right-padded to width T, so response token t of every
 * row sits at column P + t.
 *
 * @param ids // (B, P + T)
 * @param attentionMask // (B, P + T)
 * @param responses response ids, padded // (B, T)
 * @param mask 1 on real response tokens // (B, T)
 * @param queryWidth P
 */
public record ResponseBatch(
    NDArray ids, NDArray attentionMask, NDArray responses, NDArray mask, int queryWidth) {

  /** Lays out {@code queries} and {@code responses} (same count) with {@code padId} in the gaps. */
  public static ResponseBatch of(
      NDManager m, List<long[]> queries, List<long[]> responses, long padId) {
    int b = queries.size();
    int p = 0;
    int t = 0;
    for (int i = 0; i < b; i++) {
      p = Math.max(p, queries.get(i).length);
      t = Math.max(t, responses.get(i).length);
    }
    int s = p + t;
    long[] ids = new long[b * s];
    long[] attn = new long[b * s];
    long[] resp = new long[b * t];
    float[] mask = new float[b * t];
    java.util.Arrays.fill(ids, padId);
    java.util.Arrays.fill(resp, padId);
    for (int i = 0; i < b; i++) {
      long[] q = queries.get(i);
      long[] r = responses.get(i);
      for (int j = 0; j < q.length; j++) {
        ids[i * s + p - q.length + j] = q[j];
        attn[i * s + p - q.length + j] = 1;
      }
      for (int j = 0; j < r.length; j++) {
        ids[i * s + p + j] = r[j];
        attn[i * s + p + j] = 1;
        resp[i * t + j] = r[j];
        mask[i * t + j] = 1;
      }
    }
    return new ResponseBatch(
        m.create(ids, new Shape(b, s)),
        m.create(attn, new Shape(b, s)),
        m.create(resp, new Shape(b, t)),
        m.create(mask, new Shape(b, t)),
        p);
  }

  /**
   * Per-token values of the responses (one vector per row, as long as the row's response) laid out
   * like {@link #mask}: right-padded with zeros to width T. // (B, T)
   */
  public NDArray perToken(NDManager m, List<float[]> rows) {
    long width = mask.getShape().get(1);
    float[] flat = new float[Math.toIntExact(rows.size() * width)];
    for (int i = 0; i < rows.size(); i++) {
      float[] r = rows.get(i);
      System.arraycopy(r, 0, flat, Math.toIntExact(i * width), r.length);
    }
    return m.create(flat, new Shape(rows.size(), width));
  }
}
