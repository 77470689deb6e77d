package rlhf4j.policy.finetune;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import rlhf4j.policy.model.CausalLM;

/** Full fine-tuning: every base parameter trains. */
public record FullFinetuning() implements Finetuning {
  @Override
  public LinkedHashMap<String, NDArray> prepare(CausalLM model) {
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>(model.parameters());
    Trainability.mark(model, out);
    return out;
  }
}
