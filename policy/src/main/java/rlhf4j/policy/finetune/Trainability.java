package rlhf4j.policy.finetune;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.Linear;

/** Sets requires-gradient on exactly the chosen base parameters. */
final class Trainability {
  private Trainability() {}

  static void mark(CausalLM model, Map<String, NDArray> trainable) {
    for (Linear l : model.linears()) {
      if (l.adapter() != null) {
        throw new IllegalStateException(
            "module "
                + l.path()
                + " has a LoRA adapter attached; use Finetuning.lora(...) or close the LoraModel"
                + " first");
      }
    }
    Set<NDArray> on = Collections.newSetFromMap(new IdentityHashMap<>());
    on.addAll(trainable.values());
    for (String name : model.quantizedWeights().keySet()) {
      if (on.contains(model.parameters().get(name))) {
        throw new IllegalStateException(
            "parameter "
                + name
                + " is stored as "
                + model.baseDtype()
                + " and quantised weights cannot train; use Finetuning.lora(...) on a quantised"
                + " base, or load it with baseDtype fp32");
      }
    }
    for (NDArray a : model.parameters().values()) {
      boolean want = on.contains(a);
      if (a.hasGradient() != want) {
        a.setRequiresGradient(want);
      }
    }
  }
}
