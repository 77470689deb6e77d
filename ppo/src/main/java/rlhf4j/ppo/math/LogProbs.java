package rlhf4j.ppo.math;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Log-probabilities of chosen tokens, as TRL {@code core.logprobs_from_logits}. */
public final class LogProbs {

  private LogProbs() {}

  /**
   * {@code log_softmax(logits)} gathered at {@code labels}.
   *
   * @param logits (B, T, V)
   * @param labels (B, T) token ids, any integer type
   * @return (B, T)
   */
  public static NDArray fromLogits(NDArray logits, NDArray labels) {
    int vocabAxis = logits.getShape().dimension() - 1;
    NDArray index = labels.toType(DataType.INT64, false).expandDims(vocabAxis); // (B, T, 1)
    return logits.logSoftmax(vocabAxis).gather(index, vocabAxis).squeeze(vocabAxis); // (B, T)
  }
}
