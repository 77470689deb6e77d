package rlhf4j.policy.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** LoraConfig's PEFT defaults, derived values and validation messages. */
class LoraConfigTest {
  @Test
  void builderStartsFromPeftDefaults() {
    LoraConfig c = LoraConfig.builder().build();
    assertEquals(8, c.r());
    assertEquals(8.0, c.loraAlpha());
    assertEquals(0.0, c.loraDropout());
    assertNull(c.targetModules());
    assertNull(c.targetRegex());
    assertEquals(LoraConfig.Bias.NONE, c.bias());
    assertFalse(c.useRslora());
    assertEquals(LoraConfig.InitLoraWeights.DEFAULT, c.initLoraWeights());
    assertNull(c.layersToTransform());
    assertFalse(c.fanInFanOut());
    assertEquals(List.of(), c.modulesToSave());
    assertEquals(Map.of(), c.rankPattern());
    assertEquals(c, c.toBuilder().build());
  }

  @Test
  void scalingIsAlphaOverRankOrOverRootRankWithRslora() {
    LoraConfig c = LoraConfig.builder().r(16).loraAlpha(32).build();
    assertEquals(2.0, c.scalingFor("model.layers.0.self_attn.q_proj"));
    assertEquals(8.0, c.toBuilder().useRslora(true).build().scalingFor("x.q_proj"));
  }

  @Test
  void rankAndAlphaPatternsOverrideMatchingModules() {
    Map<String, Integer> ranks = new LinkedHashMap<>();
    ranks.put("v_proj", 2);
    LoraConfig c =
        LoraConfig.builder()
            .r(8)
            .loraAlpha(16)
            .rankPattern(ranks)
            .alphaPattern(Map.of("v_proj", 4.0))
            .build();
    assertEquals(2, c.rankFor("model.layers.1.self_attn.v_proj"));
    assertEquals(8, c.rankFor("model.layers.1.self_attn.q_proj"));
    assertEquals(2.0, c.scalingFor("model.layers.1.self_attn.v_proj")); // 4 / 2
    assertEquals(2.0, c.scalingFor("model.layers.1.self_attn.q_proj")); // 16 / 8
  }

  @Test
  void invalidValuesAreRejectedWithTheFieldAndValue() {
    assertMessage(() -> LoraConfig.builder().r(0).build(), "r must be a positive rank, got 0");
    assertMessage(() -> LoraConfig.builder().loraAlpha(-1).build(), "loraAlpha must be");
    assertMessage(() -> LoraConfig.builder().loraDropout(1.0).build(), "[0, 1), got 1.0");
    assertMessage(
        () -> LoraConfig.builder().targetModules(List.of()).build(), "targetModules is empty");
    assertMessage(() -> LoraConfig.builder().targetRegex("(unclosed").build(), "not a valid regex");
    assertMessage(
        () -> LoraConfig.builder().targetRegex(".*q_proj").layersToTransform(0).build(),
        "layersToTransform cannot be combined with targetRegex");
    assertMessage(
        () -> LoraConfig.builder().layersPattern("layers").build(), "needs layersToTransform");
    assertMessage(() -> LoraConfig.builder().layersToTransform(-1).build(), "block indices >= 0");
    assertMessage(
        () -> LoraConfig.builder().rankPattern(Map.of("q_proj", 0)).build(),
        "rankPattern[\"q_proj\"] must be a positive rank, got 0");
    assertMessage(
        () ->
            new LoraConfig(
                8,
                8,
                0,
                List.of("q_proj"),
                "q_.*",
                LoraConfig.Bias.NONE,
                false,
                LoraConfig.InitLoraWeights.DEFAULT,
                null,
                null,
                false,
                null,
                null,
                null,
                null),
        "not both");
  }

  @Test
  void biasParsesPeftsNamesAndListsThemOnError() {
    assertEquals(LoraConfig.Bias.LORA_ONLY, LoraConfig.Bias.fromPeft("lora_only"));
    assertMessage(() -> LoraConfig.Bias.fromPeft("some"), "\"none\", \"all\", \"lora_only\"");
  }

  @Test
  void collectionsAreCopied() {
    List<String> targets = new java.util.ArrayList<>(List.of("q_proj"));
    LoraConfig c = LoraConfig.builder().targetModules(targets).build();
    targets.add("v_proj");
    assertEquals(List.of("q_proj"), c.targetModules());
    assertThrows(UnsupportedOperationException.class, () -> c.targetModules().add("k_proj"));
  }

  private static void assertMessage(Supplier<Object> f, String part) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, f::get);
    assertTrue(e.getMessage().contains(part), "message \"" + e.getMessage() + "\" lacks " + part);
  }
}
