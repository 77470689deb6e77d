package rlhf4j.policy.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.family.Architectures;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.testing.Fixtures;

/** Loading bad adapter folders fails with messages that name the file and say what is wrong. */
class LoraLoadErrorsTest {
  @Test
  void missingAdapterConfigIsReported(@TempDir Path dir) {
    String msg = loadError("gpt2-tiny", dir);
    assertTrue(msg.contains(dir.toString()) && msg.contains("has no adapter_config.json"), msg);
  }

  @Test
  void missingWeightsAreReported(@TempDir Path dir) throws Exception {
    copyConfig("gpt2-tiny-lora", dir, s -> s);
    Files.writeString(dir.resolve("adapter_model.bin"), "x");
    String msg = loadError("gpt2-tiny", dir);
    assertTrue(msg.contains("no adapter_model.safetensors"), msg);
    assertTrue(msg.contains("adapter_model.bin"), msg);
  }

  @Test
  void rankInConfigThatDisagreesWithTheTensorsIsReported(@TempDir Path dir) throws Exception {
    copyAdapter("llama-tiny-lora", dir, s -> s.replace("\"r\": 4", "\"r\": 8"));
    String msg = loadError("llama-tiny", dir);
    assertTrue(msg.contains("adapter_model.safetensors"), msg);
    assertTrue(msg.contains("shape [4, 64], expected [8, 64]"), msg);
    assertTrue(msg.contains("r = 8 in adapter_config.json"), msg);
  }

  @Test
  void adapterForAnotherArchitectureIsRejected() {
    String msg = loadError("gpt2-tiny", Fixtures.path("hf/llama-tiny-lora"));
    assertTrue(msg.contains("[q_proj, v_proj] match no module of this gpt2 model"), msg);
    assertTrue(msg.contains("another architecture"), msg);
    assertTrue(msg.contains("base_model.model.model.layers.0.self_attn.q_proj"), msg);
    msg = loadError("neox-tiny", Fixtures.path("hf/gpt2-tiny-lora"));
    assertTrue(msg.contains("[c_attn]"), msg);
  }

  @Test
  void adapterForAnotherSizeIsRejected() {
    ModelConfig wide =
        ModelConfig.builder(Architectures.GPT2)
            .vocabSize(300)
            .hiddenSize(32)
            .numLayers(2)
            .numHeads(4)
            .intermediateSize(128)
            .maxPositions(128)
            .bosTokenId(0)
            .eosTokenId(0)
            .build();
    try (CausalLM model = CausalLM.random(wide, 0)) {
      CheckpointException e =
          assertThrows(
              CheckpointException.class,
              () -> LoraModel.load(model, Fixtures.path("hf/gpt2-tiny-lora")));
      assertTrue(e.getMessage().contains("model of another size"), e.getMessage());
      for (var l : model.linears()) {
        assertNull(l.adapter(), "a failed load leaves the model untouched");
      }
    }
  }

  @Test
  void tensorsTheConfigDoesNotProduceAreReported(@TempDir Path dir) throws Exception {
    copyAdapter(
        "gpt2-tiny-lora",
        dir,
        s -> s.replace("\"layers_to_transform\": null", "\"layers_to_transform\": [0]"));
    String msg = loadError("gpt2-tiny", dir);
    assertTrue(msg.contains("has 2 tensor(s) this config does not produce"), msg);
    assertTrue(msg.contains("transformer.h.1.attn.c_attn.lora_A.weight"), msg);
  }

  @Test
  void aConfigWithoutItsTensorsIsReported(@TempDir Path dir) throws Exception {
    copyAdapter("gpt2-tiny-lora", dir, s -> s.replace("\"c_attn\"", "\"c_attn\",\n    \"c_fc\""));
    String msg = loadError("gpt2-tiny", dir);
    assertTrue(
        msg.contains("no tensor 'base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight'"), msg);
  }

  @Test
  void unknownConfigKeysAreIgnoredAndTheAdapterLoads() {
    try (CausalLM model = LoraTesting.tiny("neox-tiny");
        LoraModel lora = LoraModel.load(model, Fixtures.path("hf/neox-tiny-lora"))) {
      assertEquals(2, lora.adaptedModules("default").size());
    }
  }

  @Test
  void badAdapterNamesAndDuplicatesAreRejected() {
    try (CausalLM model = LoraTesting.tiny("gpt2-tiny");
        LoraModel lora = LoraModel.inject(model, LoraConfig.builder().build(), 0)) {
      LoraConfig c = LoraConfig.builder().build();
      assertThrows(IllegalArgumentException.class, () -> lora.addAdapter("default", c, 1));
      assertThrows(IllegalArgumentException.class, () -> lora.addAdapter("a.b", c, 1));
      assertThrows(IllegalArgumentException.class, () -> lora.addAdapter("../x", c, 1));
      lora.addAdapter("b", c.toBuilder().bias(LoraConfig.Bias.ALL).build(), 1);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> lora.addAdapter("c", c.toBuilder().bias(LoraConfig.Bias.ALL).build(), 1));
      assertTrue(e.getMessage().contains("only one adapter"), e.getMessage());
      assertThrows(
          IllegalStateException.class,
          () -> LoraModel.inject(model, c, 2),
          "one LoraModel per CausalLM");
    }
  }

  private static String loadError(String model, Path dir) {
    try (CausalLM m = LoraTesting.tiny(model)) {
      return assertThrows(CheckpointException.class, () -> LoraModel.load(m, dir)).getMessage();
    }
  }

  private static void copyConfig(
      String fixture, Path dir, java.util.function.UnaryOperator<String> edit) throws Exception {
    Path src = Fixtures.path("hf/" + fixture);
    Files.writeString(
        dir.resolve(AdapterConfigFile.CONFIG),
        edit.apply(Files.readString(src.resolve(AdapterConfigFile.CONFIG))));
  }

  private static void copyAdapter(
      String fixture, Path dir, java.util.function.UnaryOperator<String> edit) throws Exception {
    copyConfig(fixture, dir, edit);
    Files.copy(
        Fixtures.path("hf/" + fixture).resolve(AdapterConfigFile.WEIGHTS),
        dir.resolve(AdapterConfigFile.WEIGHTS));
  }
}
