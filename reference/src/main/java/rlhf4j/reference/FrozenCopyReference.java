package rlhf4j.reference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.model.TokenLogProbs;

/**
 * A real, frozen copy of the policy's weights taken before training: the reference for full
 * fine-tuning and layer freezing, where switching adapters off is not possible. Costs one more copy
 * of the base weights; close it to free them.
 */
public final class FrozenCopyReference implements ReferenceModel, AutoCloseable {
  private final CausalLM copy;

  private FrozenCopyReference(CausalLM copy) {
    this.copy = copy;
  }

  /**
   * Copies {@code policy}'s current base weights (adapters, if any, are not copied).
   *
   * @throws IllegalArgumentException if the policy's base is stored quantised (fp16/int8)
   */
  public static FrozenCopyReference copyOf(CausalLM policy) {
    if (!policy.quantizedWeights().isEmpty()) {
      throw new IllegalArgumentException(
          "the policy's base weights are stored "
              + policy.baseDtype()
              + ", frozen: nothing on it trains but adapters, so the reference is the policy with"
              + " its adapters off. Use AdapterSwitchingReference (no copy), or load the model"
              + " with baseDtype fp32 to train it fully against a frozen copy");
    }
    NDManager manager = NDManager.newBaseManager();
    Map<String, NDArray> params = new LinkedHashMap<>();
    try (NoGrad ng = NoGrad.enter()) {
      for (Map.Entry<String, NDArray> e : policy.parameters().entrySet()) {
        NDArray c = e.getValue().duplicate(); // duplicate() copies without the graph
        c.attach(manager);
        params.put(e.getKey(), c);
      }
    }
    return new FrozenCopyReference(new CausalLM(policy.config(), manager, params));
  }

  /** The frozen model. */
  public CausalLM model() {
    return copy;
  }

  @Override
  public NDArray responseLogProbs(
      NDArray ids, NDArray mask, int queryWidth, NDArray responses, double temperature) {
    try (NoGrad ng = NoGrad.enter()) {
      NDArray logits = responseLogits(ids, mask, queryWidth); // (B, T, V)
      return TokenLogProbs.gatherByRows(logits, responses, temperature); // (B, T)
    }
  }

  @Override
  public NDArray responseLogits(NDArray ids, NDArray mask, int queryWidth) {
    try (NoGrad ng = NoGrad.enter()) {
      return copy.forwardResponse(ids, mask, queryWidth, false).logits();
    }
  }

  @Override
  public void close() {
    copy.close();
  }
}
