package rlhf4j.policy.finetune;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;

/**
 * What a training run updates: full fine-tuning, layer freezing (only the last N blocks) or LoRA. A
 * strategy marks the trainable arrays of a model (and freezes the rest) and returns them by name in
 * a stable order, so SFT and PPO code is the same for all three modes:
 *
 * <pre>{@code
 * LinkedHashMap<String, NDArray> params = Finetuning.lastBlocks(2).prepare(model);
 * // forward under a GradientCollector, backward, then the optimizer updates params.values()
 * }</pre>
 */
@FunctionalInterface
public interface Finetuning {
  /**
   * Marks what trains in {@code model}: the returned arrays require gradients, every other base
   * parameter does not.
   *
   * @return trainable arrays by name (HF names for base parameters, PEFT's in-memory names for
   *     adapters), in model order
   */
  LinkedHashMap<String, NDArray> prepare(CausalLM model);

  /** Every base parameter trains (tied weights once). */
  static Finetuning full() {
    return new FullFinetuning();
  }

  /**
   * Layer freezing: only the last {@code n} blocks and the final norm train; embeddings, the
   * earlier blocks and the LM head stay frozen.
   */
  static Finetuning lastBlocks(int n) {
    return new LayerFreezing(n);
  }

  /** LoRA: the base is frozen and the active adapter of {@code lora} trains. */
  static Finetuning lora(LoraModel lora) {
    return new LoraFinetuning(lora);
  }

  /**
   * Trainable versus all elements, as PEFT prints it: all = the base parameters plus trainable
   * arrays that are not base parameters (adapters).
   */
  static rlhf4j.policy.lora.TrainableReport report(
      CausalLM model, LinkedHashMap<String, NDArray> trainable) {
    java.util.Set<NDArray> base =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    base.addAll(model.parameters().values());
    long n = 0;
    long extra = 0;
    for (NDArray a : trainable.values()) {
      n += a.size();
      if (!base.contains(a)) {
        extra += a.size();
      }
    }
    return new rlhf4j.policy.lora.TrainableReport(n, model.parameterCount() + extra);
  }
}
