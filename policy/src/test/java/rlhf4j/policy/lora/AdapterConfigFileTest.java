package rlhf4j.policy.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.testing.Fixtures;

/** adapter_config.json as PEFT reads and writes it. */
class AdapterConfigFileTest {
  @ParameterizedTest
  @ValueSource(strings = {"gpt2-tiny-lora", "llama-tiny-lora"})
  void rewritingAPeft010ConfigReproducesPeftsFileByteForByte(String name, @TempDir Path dir)
      throws Exception {
    Path fixture = Fixtures.path("hf/" + name);
    AdapterConfigFile.Read read = AdapterConfigFile.read(fixture);
    assertEquals(List.of(), read.ignoredKeys());
    AdapterConfigFile.write(read.config(), dir);
    assertEquals(
        Files.readString(fixture.resolve(AdapterConfigFile.CONFIG)),
        Files.readString(dir.resolve(AdapterConfigFile.CONFIG)));
  }

  @Test
  void newerPeftConfigLoadsAndReportsTheKeysItIgnores() {
    AdapterConfigFile.Read read = AdapterConfigFile.read(Fixtures.path("hf/neox-tiny-lora"));
    assertEquals(List.of("query_key_value"), read.config().targetModules());
    assertEquals(4, read.config().r());
    assertEquals(8.0, read.config().loraAlpha());
    assertTrue(read.ignoredKeys().contains("peft_version"), read.ignoredKeys().toString());
    assertTrue(read.ignoredKeys().contains("lora_bias"));
    for (String k : read.ignoredKeys()) {
      assertTrue(!AdapterConfigFile.PEFT_010_KEYS.contains(k), k);
    }
  }

  @Test
  void writtenConfigHoldsOnlyPeft010KeysSortedAndIndentedByTwo(@TempDir Path dir) throws Exception {
    LoraConfig c =
        LoraConfig.builder()
            .r(16)
            .loraAlpha(32)
            .loraDropout(0.05)
            .targetRegex(".*\\.(q|v)_proj")
            .bias(LoraConfig.Bias.LORA_ONLY)
            .useRslora(true)
            .initLoraWeights(LoraConfig.InitLoraWeights.GAUSSIAN)
            .modulesToSave("lm_head")
            .rankPattern(Map.of("v_proj", 4))
            .alphaPattern(Map.of("v_proj", 2.5))
            .baseModelNameOrPath("meta-llama/Llama-2-7b-hf")
            .build();
    AdapterConfigFile.write(c, dir);
    String text = Files.readString(dir.resolve(AdapterConfigFile.CONFIG));
    assertTrue(text.startsWith("{\n  \"alpha_pattern\": {\n    \"v_proj\": 2.5\n  },\n"), text);
    assertTrue(text.contains("\n  \"lora_alpha\": 32,\n"), "integral alpha is written as 32");
    assertTrue(text.contains("\n  \"init_lora_weights\": \"gaussian\",\n"));
    assertTrue(text.contains("\n  \"peft_type\": \"LORA\",\n"));
    assertTrue(text.contains("\n  \"task_type\": \"CAUSAL_LM\",\n"));
    assertTrue(text.contains("\n  \"inference_mode\": true,\n"));
    JsonObject j = JsonParser.parseString(text).getAsJsonObject();
    List<String> keys = new ArrayList<>(j.keySet());
    assertEquals(new ArrayList<>(new TreeSet<>(keys)), keys, "keys are sorted");
    assertEquals(new TreeSet<>(AdapterConfigFile.PEFT_010_KEYS), new TreeSet<>(keys));
    assertEquals(c, AdapterConfigFile.read(dir).config(), "the file reads back to the same config");
  }

  @Test
  void everySupportedFieldSurvivesARoundTrip() {
    LoraConfig c =
        LoraConfig.builder()
            .r(3)
            .loraAlpha(7.5)
            .targetModules("c_attn", "mlp.c_fc")
            .layersToTransform(1, 0)
            .layersPattern("h")
            .fanInFanOut(true)
            .initLoraWeights(LoraConfig.InitLoraWeights.RANDOM)
            .bias(LoraConfig.Bias.ALL)
            .build();
    assertEquals(c, AdapterConfigFile.fromJson(AdapterConfigFile.toJson(c), Path.of("x")).config());
  }

  @Test
  void settingsRlhf4jDoesNotImplementAreRefusedByName() {
    assertRefused("\"use_dora\": true", "DoRA");
    assertRefused("\"lora_bias\": true", "\"lora_bias\"");
    assertRefused("\"exclude_modules\": [\"lm_head\"]", "\"exclude_modules\"");
    assertRefused("\"init_lora_weights\": \"pissa\"", "init_lora_weights \"pissa\"");
    assertRefused("\"task_type\": \"SEQ_CLS\"", "task_type \"SEQ_CLS\"");
    assertRefused("\"r\": 0", "r must be a positive rank, got 0");
    assertRefused("\"bias\": \"some\"", "\"none\", \"all\", \"lora_only\"");
    CheckpointException e =
        assertThrows(
            CheckpointException.class,
            () -> AdapterConfigFile.fromJson(json("\"peft_type\": \"IA3\""), Path.of("cfg.json")));
    assertTrue(e.getMessage().contains("cfg.json") && e.getMessage().contains("\"IA3\""));
    assertThrows(
        CheckpointException.class,
        () ->
            AdapterConfigFile.fromJson(
                JsonParser.parseString("{\"r\": 4}").getAsJsonObject(), Path.of("c")));
  }

  @Test
  void nullAndDefaultValuedNewerKeysAreAccepted() {
    JsonObject j =
        json("\"lora_bias\": false, \"exclude_modules\": null, \"peft_version\": \"0.99\"");
    assertEquals(4, AdapterConfigFile.fromJson(j, Path.of("c")).config().r());
    assertEquals(
        List.of("exclude_modules", "lora_bias", "peft_version"),
        AdapterConfigFile.fromJson(j, Path.of("c")).ignoredKeys());
  }

  @Test
  void safetensorsWeightsKeepPeftsMetadata(@TempDir Path dir) throws Exception {
    try (var model = LoraTesting.tiny("gpt2-tiny");
        var lora = LoraModel.inject(model, LoraConfig.builder().r(4).build(), 0)) {
      lora.save(dir);
    }
    var contents = rlhf4j.policy.io.SafeTensors.read(dir.resolve(AdapterConfigFile.WEIGHTS));
    assertEquals(Map.of("format", "pt"), contents.metadata());
    assertArrayEquals(
        new long[] {4, 64},
        contents.get("base_model.model.transformer.h.1.attn.c_attn.lora_A.weight").shape());
    assertArrayEquals(
        new long[] {192, 4},
        contents.get("base_model.model.transformer.h.1.attn.c_attn.lora_B.weight").shape());
    assertEquals(4, contents.tensors().size());
    AdapterConfigFile.Read read = AdapterConfigFile.read(dir);
    assertTrue(read.config().fanInFanOut(), "GPT-2 adapters are saved with fan_in_fan_out true");
    assertEquals(List.of("c_attn"), read.config().targetModules(), "default targets are resolved");
  }

  private static JsonObject json(String extra) {
    return JsonParser.parseString(
            "{\"peft_type\": \"LORA\", \"task_type\": \"CAUSAL_LM\", \"r\": 4, " + extra + "}")
        .getAsJsonObject();
  }

  private static void assertRefused(String extra, String part) {
    CheckpointException e =
        assertThrows(
            CheckpointException.class,
            () -> AdapterConfigFile.fromJson(json(extra), Path.of("dir/adapter_config.json")));
    assertTrue(e.getMessage().contains("adapter_config.json"), e.getMessage());
    assertTrue(e.getMessage().contains(part), "message \"" + e.getMessage() + "\" lacks " + part);
  }
}
