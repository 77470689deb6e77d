package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.ppo.grpo.GrpoConfig;
import rlhf4j.ppo.grpo.GrpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reference.RefAdapterReference;
import rlhf4j.reference.ReferenceModel;

/**
 * A policy that starts from an adapter trained before: with a frozen copy of that adapter as the
 * reference ({@link RefAdapterReference}) the first step's KL is 0 for PPO and GRPO alike, while
 * adapters-off (the base model) would already be far away.
 */
class RefAdapterTrainingTest {
  static final List<long[]> PROMPTS = TinyTask.prompts(16, 11);

  /** A LoRA policy whose adapter looks trained (B nonzero). */
  static LoraModel pretrained(CausalLM model) {
    LoraModel lora = LoraModel.inject(model, TinyTask.lora(), 4);
    try (NoGrad ng = NoGrad.enter()) {
      lora.trainableParameters()
          .forEach(
              (k, v) -> {
                if (k.contains("lora_B")) {
                  v.addi(0.2f);
                }
              });
    }
    return lora;
  }

  static double ppoFirstKl(boolean refAdapter) {
    try (CausalLM model = CausalLM.random(TinyTask.gpt2(), 3);
        LoraModel policy = pretrained(model);
        NDManager m = NDManager.newBaseManager();
        ValueHead head = ValueHead.create(m, model.config().hiddenSize(), true, 0)) {
      ReferenceModel reference =
          refAdapter
              ? RefAdapterReference.copyOfActive(policy)
              : new AdapterSwitchingReference(policy);
      List<Map<String, Double>> stats = new ArrayList<>();
      try (PpoTrainer trainer =
          PpoTrainer.builder()
              .model(model)
              .trainable(policy.trainableParameters())
              .valueHead(head)
              .reference(reference)
              .config(PpoConfig.builder().batchSize(4).miniBatchSize(2).seed(1).build())
              .generation(TinyTask.GENERATION)
              .listener((step, s) -> stats.add(s))
              .build()) {
        trainer.train(PROMPTS, TinyTask.TARGET_FRACTION, 1, null);
      }
      return stats.get(0).get("objective/kl");
    }
  }

  @Test
  void ppoWithTheRefAdapterStartsAtKlZero() {
    assertEquals(0.0, ppoFirstKl(true), 1e-5);
    assertTrue(Math.abs(ppoFirstKl(false)) > 1e-2, "adapters off is the wrong reference here");
  }

  @Test
  void grpoWithTheRefAdapterStartsAtKlZero() {
    try (CausalLM model = CausalLM.random(TinyTask.gpt2(), 3);
        LoraModel policy = pretrained(model)) {
      List<Map<String, Double>> stats = new ArrayList<>();
      try (GrpoTrainer trainer =
          new GrpoTrainer(
              TrainerSetup.builder()
                  .model(model)
                  .trainable(policy.trainableParameters())
                  .reference(RefAdapterReference.copyOfActive(policy))
                  .generation(TinyTask.GENERATION)
                  .listener((step, s) -> stats.add(s)),
              GrpoConfig.builder().numGenerations(2).beta(0.04).build(),
              RunConfig.builder().batchSize(2).miniBatchSize(4).build())) {
        trainer.train(PROMPTS, List.of(TinyTask.TARGET_FRACTION), 1, null);
      }
      assertEquals(0.0, stats.get(0).get("kl"), 1e-6);
    }
  }
}
