package rlhf4j.policy.sft;

import ai.djl.ndarray.NDArray;
import rlhf4j.policy.model.TokenLogProbs;

/** The SFT objective: weighted next-token cross-entropy (HF causal-LM loss with -100 labels). */
public final class SftLoss {
  private SftLoss() {}

  /**
   * {@code -Σ w·log p(ids[t+1] | ids[..t]) / Σ w}: the mean negative log-likelihood over the
   * batch's target tokens, each weighted (0 drops pads and masked prompt tokens, as label -100 does
   * in transformers). Returns NaN when every weight is 0.
   *
   * @param logits next-token logits // (B, T, V)
   * @param ids input ids // (B, T) int64
   * @param weights loss weight of target t+1 at position t // (B, T-1) float32
   * @return the scalar loss // ()
   */
  public static NDArray crossEntropy(NDArray logits, NDArray ids, NDArray weights) {
    NDArray logProbs = TokenLogProbs.nextTokens(logits, ids, 1.0); // (B, T-1)
    return logProbs.mul(weights).sum().neg().div(weights.sum());
  }
}
