package rlhf4j.reference;

import ai.djl.ndarray.NDArray;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.model.TokenLogProbs;

/**
 * The reference policy as the LoRA policy with its adapters switched off: the same base weights, so
 * it costs no extra weight memory (TRL, PEFT's {@code disable_adapter()}). Requires {@code bias =
 * none}: trainable biases change the base model, and switching adapters off would no longer give
 * the model training started from.
 *
 * <p>The switch is scoped to the calling thread ({@link LoraModel#adaptersDisabled()}): a reference
 * pass here runs the base model while a rollout of the same model on another thread still applies
 * the adapters, so one model can serve rollouts and reference passes side by side. Training steps
 * and adapter changes must still not overlap another thread's forward pass.
 */
public final class AdapterSwitchingReference implements ReferenceModel {
  private final LoraModel policy;

  public AdapterSwitchingReference(LoraModel policy) {
    for (String name : policy.adapterNames()) {
      LoraConfig c = policy.config(name);
      if (c.bias() != LoraConfig.Bias.NONE) {
        throw new IllegalArgumentException(
            "adapter '"
                + name
                + "' trains biases (bias = "
                + c.bias()
                + "): with trainable biases, adapters off is no longer the base model, so it cannot"
                + " serve as the reference. Use bias = none, or a FrozenCopyReference");
      }
    }
    this.policy = policy;
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
    try (NoGrad ng = NoGrad.enter();
        LoraModel.Restore off = policy.adaptersDisabled()) {
      return policy.model().forwardResponse(ids, mask, queryWidth, false).logits();
    }
  }
}
