package rlhf4j.reference;

import ai.djl.ndarray.NDArray;

/**
 * The reference policy of RLHF: the model the KL penalty keeps the policy close to. It answers the
 * per-token log-probs of given responses (one method, so a lambda or a remote service fits); whole
 * distributions only where the full-KL mode needs them ({@link #responseLogits}).
 *
 * <p>Shapes: B sequences, P prompt tokens (left-padded), T response tokens (right-padded), S = P +
 * T, V vocabulary.
 */
@FunctionalInterface
public interface ReferenceModel {
  /**
   * Reference log-probs of the response tokens under {@code log_softmax(logits / temperature)},
   * computed without gradients.
   *
   * @param ids left-padded queries of width {@code queryWidth}, then right-padded responses // (B,
   *     S)
   * @param mask attention mask // (B, S)
   * @param queryWidth P
   * @param responses the response tokens to score, padded // (B, T = S − P)
   * @param temperature the rollouts' sampling temperature
   * @return log-prob of response token t at index t // (B, T)
   */
  NDArray responseLogProbs(
      NDArray ids, NDArray mask, int queryWidth, NDArray responses, double temperature);

  /**
   * Reference logits over the response positions, computed without gradients: only the full-KL
   * penalty ({@code kl_penalty: full}) needs whole distributions.
   *
   * @param ids // (B, S)
   * @param mask attention mask // (B, S)
   * @param queryWidth P
   * @return logits that score response token t at index t // (B, T = S − P, V)
   * @throws UnsupportedOperationException if this reference answers per-token log-probs only
   */
  default NDArray responseLogits(NDArray ids, NDArray mask, int queryWidth) {
    throw new UnsupportedOperationException(
        getClass().getName()
            + " answers per-token log-probs only, but the full KL penalty needs whole"
            + " distributions: use kl_penalty kl (or abs, mse), or a reference that gives logits"
            + " (AdapterSwitchingReference, FrozenCopyReference)");
  }
}
