package rlhf4j.reference;

import ai.djl.ndarray.NDArray;

/**
 * The reference policy of RLHF: the model the KL penalty keeps the policy close to. One method, so
 * a lambda fits.
 */
@FunctionalInterface
public interface ReferenceModel {
  /**
   * Reference logits over the response positions, computed without gradients.
   *
   * @param ids left-padded queries of width {@code queryWidth}, then right-padded responses // (B,
   *     S)
   * @param mask attention mask // (B, S)
   * @param queryWidth P
   * @return logits that score response token t at index t // (B, T = S − P, V)
   */
  NDArray responseLogits(NDArray ids, NDArray mask, int queryWidth);
}
