package rlhf4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import rlhf4j.policy.family.Architectures;
import rlhf4j.policy.family.Presets;

/** ModelConfig's builder defaults and validation messages. */
class ModelConfigTest {
  private static ModelConfig.Builder llama() {
    return Presets.config("tiny-llama").toBuilder();
  }

  @Test
  void unsetDerivedFieldsFollowTheOthers() {
    ModelConfig c =
        ModelConfig.builder(Architectures.GPT2)
            .vocabSize(100)
            .hiddenSize(48)
            .numLayers(1)
            .numHeads(3)
            .build();
    assertEquals(16, c.headDim());
    assertEquals(3, c.numKvHeads());
    assertEquals(192, c.intermediateSize());
    assertEquals(NormKind.LAYER_NORM, c.normKind());
    assertEquals(PositionKind.LEARNED, c.positionKind());
  }

  @Test
  void toBuilderCopiesEveryField() {
    for (String name : rlhf4j.policy.family.Presets.names()) {
      ModelConfig c = Presets.config(name);
      assertEquals(c, c.toBuilder().build(), name);
    }
  }

  @Test
  void messagesNameTheFieldTheRuleAndTheValue() {
    assertMessage("numLayers must be > 0, got 0", () -> llama().numLayers(0).build());
    assertMessage("normEps must be > 0, got -1.0", () -> llama().normEps(-1).build());
    assertMessage("rotaryPct must be in (0, 1], got 1.5", () -> llama().rotaryPct(1.5).build());
    assertMessage(
        "numHeads (4) must be a multiple of numKvHeads (3)", () -> llama().numKvHeads(3).build());
    assertMessage(
        "modelType must be one of family llama's [llama, mistral, qwen2], got 'gpt2'",
        () -> llama().modelType("gpt2").build());
    assertMessage(
        "rotary dimensions (headDim x rotaryPct = 5) must be even",
        () -> llama().headDim(10).rotaryPct(0.5).build());
    assertMessage(
        "GPT-2 needs hiddenSize divisible by numHeads, got 64 and 3",
        () -> Presets.config("tiny").toBuilder().numHeads(3).headDim(21).numKvHeads(3).build());
  }

  @Test
  void activationsKeepTheirHfNames() {
    for (Activation a : Activation.values()) {
      assertEquals(a, Activation.fromHfName(a.hfName()));
    }
    assertMessage("activation 'tanh' is not supported", () -> Activation.fromHfName("tanh"));
  }

  private static void assertMessage(String expected, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
