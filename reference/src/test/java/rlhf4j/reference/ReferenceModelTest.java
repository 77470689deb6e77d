package rlhf4j.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.model.TokenLogProbs;
import rlhf4j.policy.quant.QuantConfig;

class ReferenceModelTest {
  static final long[] IDS = {4, 8, 15, 16, 23, 42, 0, 0, 7, 9, 11, 13, 17, 19, 2, 3};
  static final long[] MASK = {1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};

  /** A LoRA policy whose adapter is not a no-op (B set to nonzero values). */
  static LoraModel trainedLooking(CausalLM model) {
    LoraModel lora =
        LoraModel.inject(
            model,
            LoraConfig.builder().r(4).loraAlpha(8).targetModules(List.of("c_attn")).build(),
            1);
    try (NoGrad ng = NoGrad.enter()) {
      for (var e : lora.trainableParameters().entrySet()) {
        if (e.getKey().contains("lora_B")) {
          e.getValue().addi(0.05f);
        }
      }
    }
    return lora;
  }

  @Test
  void adapterSwitchingReferenceIsTheBaseModelBitwiseWithoutACopy() {
    try (CausalLM model = Presets.create("nano", 3);
        NDManager m = NDManager.newBaseManager()) {
      NDArray ids = m.create(IDS, new Shape(2, 8));
      NDArray mask = m.create(MASK, new Shape(2, 8));
      float[] base = model.forwardResponse(ids, mask, 5, false).logits().toFloatArray();
      try (LoraModel lora = trainedLooking(model)) {
        float[] policy = model.forwardResponse(ids, mask, 5, false).logits().toFloatArray();
        assertFalse(Arrays.equals(base, policy), "the adapter must change the policy");
        int arraysBefore = ((BaseNDManager) model.manager()).getManagedArrays().size();
        float[] ref =
            new AdapterSwitchingReference(lora).responseLogits(ids, mask, 5).toFloatArray();
        assertArrayEquals(base, ref);
        assertEquals(arraysBefore, ((BaseNDManager) model.manager()).getManagedArrays().size());
        assertTrue(lora.adaptersEnabled(), "adapters are back on after the reference pass");
        assertArrayEquals(
            policy, model.forwardResponse(ids, mask, 5, false).logits().toFloatArray());
      }
    }
  }

  @Test
  void referenceLogProbsAreTheBaseModelsOwnBitwise() {
    try (CausalLM model = Presets.create("nano", 3);
        NDManager m = NDManager.newBaseManager()) {
      NDArray ids = m.create(IDS, new Shape(2, 8));
      NDArray mask = m.create(MASK, new Shape(2, 8));
      NDArray responses = ids.get("..., 5:"); // (B, T = 3)
      float[] base =
          TokenLogProbs.gather(model.forwardResponse(ids, mask, 5, false).logits(), responses, 0.7)
              .toFloatArray();
      try (FrozenCopyReference frozen = FrozenCopyReference.copyOf(model);
          LoraModel lora = trainedLooking(model)) {
        NDArray ref =
            new AdapterSwitchingReference(lora).responseLogProbs(ids, mask, 5, responses, 0.7);
        assertArrayEquals(new long[] {2, 3}, ref.getShape().getShape());
        assertArrayEquals(base, ref.toFloatArray());
        assertArrayEquals(
            base, frozen.responseLogProbs(ids, mask, 5, responses, 0.7).toFloatArray());
      }
    }
  }

  @Test
  void aLogProbOnlyReferenceRefusesTheFullKlWithTheWayOut() {
    ReferenceModel remote = (ids, mask, queryWidth, responses, temperature) -> responses;
    UnsupportedOperationException e =
        assertThrows(
            UnsupportedOperationException.class, () -> remote.responseLogits(null, null, 5));
    assertTrue(e.getMessage().contains("full KL penalty"), e.getMessage());
  }

  @Test
  void adapterSwitchingRefusesTrainableBiases() {
    try (CausalLM model = Presets.create("nano", 3);
        LoraModel lora =
            LoraModel.inject(
                model,
                LoraConfig.builder()
                    .r(2)
                    .targetModules(List.of("c_attn"))
                    .bias(LoraConfig.Bias.ALL)
                    .build(),
                1)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new AdapterSwitchingReference(lora));
      assertTrue(
          e.getMessage().contains("bias") && e.getMessage().contains("FrozenCopyReference"),
          e.getMessage());
    }
  }

  @Test
  void frozenCopyKeepsTheWeightsItWasTakenFrom() {
    try (CausalLM model = Presets.create("nano", 3);
        NDManager m = NDManager.newBaseManager();
        FrozenCopyReference ref = FrozenCopyReference.copyOf(model)) {
      NDArray ids = m.create(IDS, new Shape(2, 8));
      NDArray mask = m.create(MASK, new Shape(2, 8));
      float[] before = model.forwardResponse(ids, mask, 5, false).logits().toFloatArray();
      assertArrayEquals(before, ref.responseLogits(ids, mask, 5).toFloatArray());
      try (NoGrad ng = NoGrad.enter()) {
        model.parameters().values().iterator().next().addi(0.1f); // "training" changes the policy
      }
      assertFalse(
          Arrays.equals(
              before, model.forwardResponse(ids, mask, 5, false).logits().toFloatArray()));
      assertArrayEquals(before, ref.responseLogits(ids, mask, 5).toFloatArray());
    }
  }

  @Test
  void frozenCopyOfAQuantisedBaseIsRefusedWithTheWayOut() {
    try (CausalLM model =
        CausalLM.random(
            Presets.config("nano"), 3, QuantConfig.of(rlhf4j.policy.quant.BaseDtype.INT8))) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> FrozenCopyReference.copyOf(model));
      assertTrue(e.getMessage().contains("AdapterSwitchingReference"), e.getMessage());
      assertTrue(
          e.getMessage().contains("INT8") || e.getMessage().contains("int8"), e.getMessage());
    }
  }
}
