package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

/** Log-probabilities of given tokens under a model's logits (TRL's logprobs_from_logits). */
public final class TokenLogProbs {
  /** Bytes of log-softmax {@link #gatherByRows} holds at once: 8 MiB (41 rows of 50,257). */
  static final long ROWS_BYTES = 8L << 20;

  private TokenLogProbs() {}

  /**
   * log softmax(logits / temperature) at {@code labels}.
   *
   * @param logits // (B, T, V)
   * @param labels // (B, T) int64
   * @return // (B, T)
   */
  public static NDArray gather(NDArray logits, NDArray labels, double temperature) {
    NDArray scaled = temperature == 1.0 ? logits : Scalars.div(logits, temperature);
    NDArray logp = scaled.logSoftmax(-1);
    return logp.gather(labels.toType(DataType.INT64, false).expandDims(-1), -1).squeeze(-1);
  }

  /**
   * {@link #gather} computed a few rows at a time, without gradients: each slice of rows gets its
   * log-softmax, which is closed once its labels are picked, so besides {@code logits} at most
   * {@link #ROWS_BYTES} of log-softmax exist, not a second (B, T, V) array. The values equal {@link
   * #gather}'s exactly (the log-softmax of a row does not depend on the other rows). For passes
   * that need only the labels' log-probs, such as the reference pass, where the second (B, T, V)
   * array set the process's peak memory.
   *
   * @param logits // (B, T, V)
   * @param labels // (B, T)
   * @return // (B, T)
   * @throws IllegalStateException when gradients are being recorded
   */
  public static NDArray gatherByRows(NDArray logits, NDArray labels, double temperature) {
    if (JniUtils.isGradMode()) {
      throw new IllegalStateException("gatherByRows is for passes without gradients; use gather");
    }
    long v = logits.getShape().get(logits.getShape().dimension() - 1);
    return gatherByRows(
        logits, labels, temperature, Math.max(1, ROWS_BYTES / (4 * Math.max(1, v))));
  }

  /** {@link #gatherByRows} with slices of {@code step} rows. */
  static NDArray gatherByRows(NDArray logits, NDArray labels, double temperature, long step) {
    Shape shape = logits.getShape();
    long v = shape.get(shape.dimension() - 1);
    long n = shape.size() / Math.max(1, v);
    NDArray flat = logits.reshape(n, v); // (N, V)
    NDArray ids = labels.reshape(n); // (N)
    NDList parts = new NDList();
    for (long from = 0; from < n; from += step) {
      NDIndex rows = new NDIndex("{}:{}", from, Math.min(n, from + step));
      try (NDScope slice = new NDScope()) {
        NDArray part = gather(flat.get(rows), ids.get(rows), temperature); // (rows)
        NDScope.unregister(part);
        parts.add(part);
      }
    }
    NDArray out = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts);
    if (parts.size() > 1) {
      parts.close();
    }
    NDScope.register(out);
    return out.reshape(labels.getShape());
  }

  /**
   * Log-probability of each next token: position t scores ids[t+1] given ids[..t].
   *
   * @param logits // (B, T, V)
   * @param ids // (B, T)
   * @return // (B, T-1)
   */
  public static NDArray nextTokens(NDArray logits, NDArray ids, double temperature) {
    NDArray head = logits.get(new NDIndex(":, :-1"));
    NDArray next = ids.get(new NDIndex(":, 1:"));
    return gather(head, next, temperature);
  }
}
