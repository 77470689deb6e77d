package rlhf4j.policy.sft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A batch in Java arrays, row-major: right-padded token rows, their attention mask and the loss
 * weight of every target (position t predicts token t+1).
 *
 * @param rows B
 * @param length T
 * @param ids token ids, pads 0 // (B, T)
 * @param attentionMask 1 for real tokens, 0 for padding // (B, T)
 * @param weights loss weight of target t+1 at position t; 0 on pads and masked prompt tokens // (B,
 *     T-1)
 */
record SftBatch(int rows, int length, long[] ids, long[] attentionMask, float[] weights) {

  /**
   * One training row before batching: ids and, per token, its weight as a prediction target ({@code
   * tokenWeights[0]} is never used as a target of this row).
   */
  record Row(long[] ids, float[] tokenWeights) {
    Row {
      if (ids.length != tokenWeights.length) {
        throw new IllegalArgumentException(
            "ids and tokenWeights differ in length: " + ids.length + " and " + tokenWeights.length);
      }
    }

    int length() {
      return ids.length;
    }

    /** Sum of the weights of the tokens that are targets (all but the first). */
    double targetWeight() {
      double s = 0;
      for (int i = 1; i < tokenWeights.length; i++) {
        s += tokenWeights[i];
      }
      return s;
    }
  }

  /**
   * The row of one example: prompt tokens weigh 0 when {@code completionOnly}, every other token 1;
   * cut to its first {@code maxLength} tokens ({@code maxLength <= 0}: no cut).
   */
  static Row row(SftExample example, boolean completionOnly, int maxLength) {
    long[] ids = example.ids();
    float[] w = new float[ids.length];
    int promptLength = example.prompt().length;
    Arrays.fill(w, completionOnly ? promptLength : 0, ids.length, 1f);
    if (maxLength > 0 && ids.length > maxLength) {
      ids = Arrays.copyOf(ids, maxLength);
      w = Arrays.copyOf(w, maxLength);
    }
    return new Row(ids, w);
  }

  /**
   * Classic packing: the rows' tokens (and weights) concatenated in order and cut into rows of
   * {@code maxLength}; the last row may be shorter. The first token of each packed row is not a
   * target.
   */
  static List<Row> pack(List<Row> rows, int maxLength) {
    long total = 0;
    for (Row r : rows) {
      total += r.length();
    }
    List<Row> packed = new ArrayList<>();
    long[] ids = new long[(int) Math.min(maxLength, total)];
    float[] w = new float[ids.length];
    int fill = 0;
    long left = total;
    for (Row r : rows) {
      for (int i = 0; i < r.length(); i++) {
        ids[fill] = r.ids()[i];
        w[fill] = r.tokenWeights()[i];
        fill++;
        left--;
        if (fill == ids.length) {
          packed.add(new Row(ids, w));
          ids = new long[(int) Math.min(maxLength, left)];
          w = new float[ids.length];
          fill = 0;
        }
      }
    }
    return packed;
  }

  /** Right-pads {@code rows} to the longest; pads get mask 0 and weight 0. */
  static SftBatch pad(List<Row> rows) {
    int b = rows.size();
    int t = 0;
    for (Row r : rows) {
      t = Math.max(t, r.length());
    }
    long[] ids = new long[b * t];
    long[] mask = new long[b * t];
    float[] weights = new float[b * (t - 1)];
    for (int i = 0; i < b; i++) {
      Row r = rows.get(i);
      for (int j = 0; j < r.length(); j++) {
        ids[i * t + j] = r.ids()[j];
        mask[i * t + j] = 1;
        if (j > 0) {
          weights[i * (t - 1) + j - 1] = r.tokenWeights()[j];
        }
      }
    }
    return new SftBatch(b, t, ids, mask, weights);
  }

  /** Real (unpadded) tokens in the batch. */
  long tokens() {
    long n = 0;
    for (long m : attentionMask) {
      n += m;
    }
    return n;
  }
}
