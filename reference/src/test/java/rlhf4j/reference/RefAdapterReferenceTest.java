package rlhf4j.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.NoGrad;

class RefAdapterReferenceTest {
  static final long[] IDS = ReferenceModelTest.IDS;
  static final long[] MASK = ReferenceModelTest.MASK;

  static void train(LoraModel lora) {
    try (NoGrad ng = NoGrad.enter()) {
      for (var e : lora.trainableParameters().entrySet()) {
        if (e.getKey().contains("lora_B")) {
          e.getValue().addi(0.1f);
        }
      }
    }
  }

  @Test
  void frozenCopyIsThePretrainedAdapterWhateverTrainingDoesAfterwards() {
    try (CausalLM model = Presets.create("nano", 3);
        NDManager m = NDManager.newBaseManager();
        LoraModel lora = ReferenceModelTest.trainedLooking(model)) {
      NDArray ids = m.create(IDS, new Shape(2, 8));
      NDArray mask = m.create(MASK, new Shape(2, 8));
      float[] sft = model.forwardResponse(ids, mask, 5, false).logits().toFloatArray();
      RefAdapterReference ref = RefAdapterReference.copyOfActive(lora);
      assertArrayEquals(sft, ref.responseLogits(ids, mask, 5).toFloatArray(), "a bitwise copy");
      float[] adaptersOff =
          new AdapterSwitchingReference(lora).responseLogits(ids, mask, 5).toFloatArray();
      assertFalse(Arrays.equals(sft, adaptersOff), "adapters off would be the wrong reference");

      train(lora); // the policy's own adapter moves on
      float[] policy = model.forwardResponse(ids, mask, 5, false).logits().toFloatArray();
      assertFalse(Arrays.equals(sft, policy));
      assertArrayEquals(sft, ref.responseLogits(ids, mask, 5).toFloatArray(), "ref stays frozen");
      assertEquals(LoraModel.DEFAULT_ADAPTER, lora.activeAdapter(), "the policy's adapter is back");
      assertArrayEquals(policy, model.forwardResponse(ids, mask, 5, false).logits().toFloatArray());
      assertFalse(
          lora.trainableParameters().keySet().stream().anyMatch(k -> k.contains(".ref.")),
          "the ref adapter is never trained");
    }
  }

  @Test
  void loadsTheSavedAdapterAsRefAndRefusesASecondOne(@TempDir Path dir) throws Exception {
    try (CausalLM model = Presets.create("nano", 3);
        NDManager m = NDManager.newBaseManager();
        LoraModel lora = ReferenceModelTest.trainedLooking(model)) {
      NDArray ids = m.create(IDS, new Shape(2, 8));
      NDArray mask = m.create(MASK, new Shape(2, 8));
      float[] sft = model.forwardResponse(ids, mask, 5, false).logits().toFloatArray();
      lora.save(dir);
      train(lora);
      RefAdapterReference ref = RefAdapterReference.load(lora, dir);
      assertArrayEquals(sft, ref.responseLogits(ids, mask, 5).toFloatArray());
      assertThrows(IllegalStateException.class, () -> RefAdapterReference.copyOfActive(lora));
      assertArrayEquals(
          sft, RefAdapterReference.existing(lora).responseLogits(ids, mask, 5).toFloatArray());
    }
  }
}
