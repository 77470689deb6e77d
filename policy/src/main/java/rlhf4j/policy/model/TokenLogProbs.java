package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/** Log-probabilities of given tokens under a model's logits (TRL's logprobs_from_logits). */
public final class TokenLogProbs {
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
