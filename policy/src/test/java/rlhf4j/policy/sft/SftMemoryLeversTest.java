package rlhf4j.policy.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.quant.BaseDtype;
import rlhf4j.policy.quant.QuantConfig;

/** SFT with gradient checkpointing, and LoRA SFT on a frozen int8 base (QLoRA's recipe). */
class SftMemoryLeversTest {

  private static Map<String, float[]> snapshot(Map<String, NDArray> arrays) {
    Map<String, float[]> out = new LinkedHashMap<>();
    arrays.forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  private static Map<String, byte[]> bytes(Map<String, NDArray> arrays) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    arrays.forEach((k, v) -> out.put(k, v.toByteArray()));
    return out;
  }

  private static SftConfig config(boolean checkpointing) {
    return SftConfig.builder()
        .learningRate(3e-3)
        .batchSize(2)
        .maxSteps(4)
        .seed(3)
        .gradientCheckpointing(checkpointing)
        .build();
  }

  /** Full fine-tuning: every weight after 4 steps, with or without checkpointing. */
  private static Map<String, float[]> fullFineTune(boolean checkpointing, double[] losses) {
    try (CausalLM model = Presets.create("nano", 9)) {
      SftSummary s =
          new SftTrainer(model, config(checkpointing))
              .train(SftTrainerTest.randomSequences(6, 12, 5));
      losses[0] = s.firstLoss();
      losses[1] = s.finalLoss();
      return snapshot(model.parameters());
    }
  }

  @Test
  void gradientCheckpointingReachesTheSameWeightsAsPlainBackprop() {
    double[] plainLoss = new double[2];
    double[] ckptLoss = new double[2];
    Map<String, float[]> plain = fullFineTune(false, plainLoss);
    Map<String, float[]> ckpt = fullFineTune(true, ckptLoss);
    assertEquals(plainLoss[0], ckptLoss[0], 1e-5);
    assertEquals(plainLoss[1], ckptLoss[1], 1e-4);
    try (CausalLM fresh = Presets.create("nano", 9)) {
      float[] start = fresh.parameters().get("transformer.h.0.attn.c_attn.weight").toFloatArray();
      assertFalse(
          Arrays.equals(start, plain.get("transformer.h.0.attn.c_attn.weight")), "no training");
    }
    for (String name : plain.keySet()) {
      assertArrayEquals(plain.get(name), ckpt.get(name), 2e-5f, name);
    }
  }

  /** LoRA SFT on an int8 base: the adapter after 4 steps, and the loss before and after. */
  private static Map<String, float[]> loraOnInt8(boolean checkpointing, double[] losses) {
    try (CausalLM model =
            CausalLM.random(Presets.config("nano"), 9, QuantConfig.of(BaseDtype.INT8));
        LoraModel lora =
            LoraModel.inject(
                model,
                LoraConfig.builder()
                    .r(4)
                    .loraAlpha(8)
                    .targetModules(List.of("c_attn", "c_fc", "lm_head"))
                    .build(),
                1)) {
      Map<String, byte[]> frozen = bytes(model.parameters()); // int8 codes and float32 weights
      Map<String, NDArray> trainable = lora.trainableParameters();
      SftSummary s =
          new SftTrainer(model, config(checkpointing))
              .train(SftTrainerTest.randomSequences(6, 12, 5), trainable, SftListener.none());
      losses[0] = s.firstLoss();
      losses[1] = s.finalLoss();
      Map<String, byte[]> after = bytes(model.parameters());
      for (String name : frozen.keySet()) {
        assertArrayEquals(frozen.get(name), after.get(name), "frozen " + name);
      }
      return snapshot(trainable);
    }
  }

  @Test
  void loraOnAnInt8BaseTrainsOnlyTheAdapterWithOrWithoutCheckpointing() {
    double[] plainLoss = new double[2];
    double[] ckptLoss = new double[2];
    Map<String, float[]> plain = loraOnInt8(false, plainLoss);
    Map<String, float[]> ckpt = loraOnInt8(true, ckptLoss);
    assertTrue(plainLoss[1] < plainLoss[0], "loss " + plainLoss[0] + " -> " + plainLoss[1]);
    assertEquals(plainLoss[0], ckptLoss[0], 1e-5);
    assertEquals(plainLoss[1], ckptLoss[1], 1e-4);
    boolean bMoved = false;
    for (String name : plain.keySet()) {
      assertArrayEquals(plain.get(name), ckpt.get(name), 2e-5f, name);
      if (name.contains("lora_B")) {
        for (float v : plain.get(name)) {
          bMoved |= v != 0f; // B starts at zero (PEFT's init)
        }
      }
    }
    assertTrue(bMoved, "lora_B never moved");
  }
}
