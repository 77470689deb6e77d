package rlhf4j.policy.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.model.CausalLM;

/** Which modules an adapter lands on, and how fresh adapters are initialised. */
class LoraTargetingTest {
  private static List<String> adapted(String model, LoraConfig c) {
    try (CausalLM m = LoraTesting.tiny(model);
        LoraModel lora = LoraModel.inject(m, c, 0)) {
      return lora.adaptedModules("default");
    }
  }

  @Test
  void defaultTargetsArePeftsPerFamilyMapping() {
    LoraConfig dflt = LoraConfig.builder().build();
    assertEquals(
        List.of("transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn"),
        adapted("gpt2-tiny", dflt));
    assertEquals(
        List.of(
            "model.layers.0.self_attn.q_proj",
            "model.layers.0.self_attn.v_proj",
            "model.layers.1.self_attn.q_proj",
            "model.layers.1.self_attn.v_proj"),
        adapted("llama-tiny", dflt));
    assertEquals(
        List.of(
            "gpt_neox.layers.0.attention.query_key_value",
            "gpt_neox.layers.1.attention.query_key_value"),
        adapted("neox-tiny", dflt));
  }

  @Test
  void namesMatchTheEndOfTheModulePath() {
    assertEquals(
        List.of(
            "transformer.h.0.attn.c_proj",
            "transformer.h.0.mlp.c_proj",
            "transformer.h.1.attn.c_proj",
            "transformer.h.1.mlp.c_proj"),
        adapted("gpt2-tiny", LoraConfig.builder().targetModules("c_proj").build()));
    assertEquals(
        List.of("transformer.h.0.attn.c_proj", "transformer.h.1.attn.c_proj"),
        adapted("gpt2-tiny", LoraConfig.builder().targetModules("attn.c_proj").build()));
  }

  @Test
  void regexMustMatchTheWholePath() {
    assertEquals(
        List.of("model.layers.1.self_attn.k_proj"),
        adapted(
            "llama-tiny", LoraConfig.builder().targetRegex(".*\\.1\\.self_attn\\.k_proj").build()));
    assertThrows(
        IllegalArgumentException.class,
        () -> adapted("llama-tiny", LoraConfig.builder().targetRegex("k_proj").build()));
  }

  @Test
  void layersToTransformRestrictsTheBlocks() {
    assertEquals(
        List.of("model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"),
        adapted("llama-tiny", LoraConfig.builder().layersToTransform(1).build()));
    assertEquals(
        List.of("transformer.h.0.attn.c_attn"),
        adapted("gpt2-tiny", LoraConfig.builder().layersToTransform(0).layersPattern("h").build()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> adapted("gpt2-tiny", LoraConfig.builder().layersToTransform(5).build()));
    assertTrue(e.getMessage().contains("blocks 0..1"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            adapted(
                "gpt2-tiny",
                LoraConfig.builder().layersToTransform(0).layersPattern("layers").build()));
  }

  @Test
  void allLinearCoversEveryProjectionButNotTheHead() {
    List<String> all = adapted("neox-tiny", LoraConfig.builder().allLinear().build());
    assertEquals(8, all.size());
    assertFalse(all.contains("lm_head"));
    assertEquals(
        List.of("lm_head"),
        adapted("neox-tiny", LoraConfig.builder().targetModules("lm_head").build()));
  }

  @Test
  void gptNeoxHeadIsLmHeadAndItsCheckpointNameEmbedOutIsAnAlias() {
    // transformers 5 and PEFT call GPT-NeoX's head module lm_head; its checkpoints and adapters
    // made with transformers 4 call it embed_out
    assertEquals(
        List.of("lm_head"),
        adapted("neox-tiny", LoraConfig.builder().targetModules("embed_out").build()));
    try (CausalLM model = LoraTesting.tiny("neox-tiny");
        LoraModel lora =
            LoraModel.inject(
                model,
                LoraConfig.builder()
                    .targetModules("query_key_value")
                    .modulesToSave("embed_out")
                    .rankPattern(Map.of("embed_out", 2))
                    .build(),
                0)) {
      LoraConfig saved = lora.config(LoraModel.DEFAULT_ADAPTER);
      assertEquals(List.of("lm_head"), saved.modulesToSave());
      assertEquals(Map.of("lm_head", 2), saved.rankPattern());
    }
  }

  @Test
  void aTargetThatMatchesNothingIsReportedWithTheAvailableNames() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                adapted(
                    "gpt2-tiny", LoraConfig.builder().targetModules("c_attn", "q_proj").build()));
    assertTrue(e.getMessage().contains("[q_proj]"), e.getMessage());
    assertTrue(e.getMessage().contains("c_attn, c_fc, c_proj"), e.getMessage());
  }

  @Test
  void modulesToSaveMustNameLinearModulesOtherThanTheTargets() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> adapted("gpt2-tiny", LoraConfig.builder().modulesToSave("wte").build()));
    assertTrue(e.getMessage().contains("not a linear layer"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> adapted("gpt2-tiny", LoraConfig.builder().modulesToSave("score").build()));
    assertTrue(e.getMessage().contains("matches no module"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> adapted("gpt2-tiny", LoraConfig.builder().modulesToSave("c_attn").build()));
    assertTrue(e.getMessage().contains("both a LoRA target and in modulesToSave"), e.getMessage());
  }

  @Test
  void fanInFanOutIsForcedByTheLayerKind() {
    try (CausalLM m = LoraTesting.tiny("llama-tiny");
        LoraModel lora = LoraModel.inject(m, LoraConfig.builder().fanInFanOut(true).build(), 0)) {
      assertFalse(lora.config("default").fanInFanOut(), "torch Linear: fan_in_fan_out false");
    }
  }

  @Test
  void defaultInitIsKaimingUniformForAAndZerosForB() {
    Map<String, float[]> p = init(LoraConfig.InitLoraWeights.DEFAULT, 1);
    float[] a = p.get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight");
    double bound = 1 / Math.sqrt(64); // in = 64
    double max = 0;
    double sumSq = 0;
    for (float v : a) {
      max = Math.max(max, Math.abs(v));
      sumSq += v * v;
    }
    assertTrue(max <= bound && max > 0.9 * bound, "A within ±1/sqrt(in): max " + max);
    double var = sumSq / a.length; // U(−b, b) has variance b²/3
    assertEquals(bound * bound / 3, var, 0.2 * bound * bound / 3);
    for (Map.Entry<String, float[]> e : p.entrySet()) {
      if (e.getKey().contains("lora_B")) {
        for (float v : e.getValue()) {
          assertEquals(0f, v);
        }
      }
    }
  }

  @Test
  void gaussianInitHasStdOneOverRank() {
    Map<String, float[]> p = init(LoraConfig.InitLoraWeights.GAUSSIAN, 1);
    double sumSq = 0;
    int n = 0;
    for (Map.Entry<String, float[]> e : p.entrySet()) {
      if (e.getKey().contains("lora_A")) {
        for (float v : e.getValue()) {
          sumSq += v * v;
          n++;
        }
      }
    }
    assertEquals(1.0 / 4, Math.sqrt(sumSq / n), 0.02); // r = 4
  }

  @Test
  void randomInitMakesBNonzeroAndTheSeedDecides() {
    Map<String, float[]> p = init(LoraConfig.InitLoraWeights.RANDOM, 1);
    float[] b = p.get("base_model.model.model.layers.0.self_attn.q_proj.lora_B.default.weight");
    double max = 0;
    for (float v : b) {
      max = Math.max(max, Math.abs(v));
    }
    assertTrue(max > 0 && max <= 0.5, "B ~ U(±1/sqrt(r)), r = 4: max " + max);
    Function<Map<String, float[]>, float[]> firstA =
        m -> m.get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight");
    assertEquals(
        java.util.Arrays.toString(firstA.apply(p)),
        java.util.Arrays.toString(firstA.apply(init(LoraConfig.InitLoraWeights.RANDOM, 1))));
    assertNotEquals(
        java.util.Arrays.toString(firstA.apply(p)),
        java.util.Arrays.toString(firstA.apply(init(LoraConfig.InitLoraWeights.RANDOM, 2))));
  }

  private static Map<String, float[]> init(LoraConfig.InitLoraWeights init, long seed) {
    try (CausalLM m = LoraTesting.tiny("llama-tiny");
        LoraModel lora =
            LoraModel.inject(
                m, LoraConfig.builder().r(4).allLinear().initLoraWeights(init).build(), seed)) {
      Map<String, NDArray> params = lora.trainableParameters();
      return LoraTesting.snapshot(params);
    }
  }
}
