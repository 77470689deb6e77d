package rlhf4j.policy.finetune;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Objects;
import java.util.Set;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;

/**
 * LoRA: the base stays frozen (apart from biases the adapter's {@code bias} setting trains) and the
 * active adapter's A and B (and modules_to_save copies) train.
 *
 * @param lora the adapters wrapping the model passed to {@link #prepare}
 */
public record LoraFinetuning(LoraModel lora) implements Finetuning {
  /** Checks the argument. */
  public LoraFinetuning {
    Objects.requireNonNull(lora, "lora");
  }

  @Override
  public LinkedHashMap<String, NDArray> prepare(CausalLM model) {
    if (model != lora.model()) {
      throw new IllegalArgumentException(
          "this LoraModel wraps another CausalLM; pass lora.model() to prepare");
    }
    if (lora.activeAdapter() == null) {
      throw new IllegalStateException("no adapter is loaded; add or load one before training");
    }
    LinkedHashMap<String, NDArray> out = lora.trainableParameters();
    Set<NDArray> on = Collections.newSetFromMap(new IdentityHashMap<>());
    on.addAll(out.values());
    for (NDArray a : model.parameters().values()) {
      if (a.hasGradient() && !on.contains(a)) {
        a.setRequiresGradient(false);
      }
    }
    return out;
  }
}
