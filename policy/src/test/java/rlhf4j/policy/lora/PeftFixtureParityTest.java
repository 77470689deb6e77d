package rlhf4j.policy.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.testing.Fixtures;

/** Adapters written by PEFT reproduce PEFT's logits, unmerged and merged. */
class PeftFixtureParityTest {
  private static final double TOLERANCE = 1e-4; // issue: within 1e-4, aim 1e-5

  /** (base fixture, adapter fixture stem): the adapter is hf/STEM-lora, its goldens STEM.*. */
  static Stream<Arguments> adapters() {
    return Stream.of(
        Arguments.of("gpt2-tiny", "gpt2-tiny"),
        Arguments.of("llama-tiny", "llama-tiny"),
        Arguments.of("neox-tiny", "neox-tiny"),
        Arguments.of("neox-tiny", "neox-tiny-head"), // PEFT on transformers 5: LoRA on lm_head
        Arguments.of("neox-tiny", "neox-tiny-mts"), // and a trained copy of it (modules_to_save)
        Arguments.of("qwen3-tiny", "qwen3-tiny"),
        Arguments.of("gemma3-tiny", "gemma3-tiny"),
        Arguments.of("phi3-tiny", "phi3-tiny"));
  }

  @ParameterizedTest
  @MethodSource("adapters")
  void peftAdapterReproducesPeftLogits(String base, String name) {
    Fixtures.Logits golden = Fixtures.logits(name + ".lora");
    try (CausalLM model = LoraTesting.tiny(base);
        LoraModel lora = LoraModel.load(model, Fixtures.path("hf/" + name + "-lora"))) {
      double err = Fixtures.maxAbsDiff(golden.logits(), LoraTesting.logits(model));
      System.out.printf("parity %s lora: max |logit err| %.3g%n", name, err);
      assertTrue(err < TOLERANCE, name + " lora logits error " + err);
    }
  }

  @ParameterizedTest
  @MethodSource("adapters")
  void mergedAdapterReproducesPeftMergedLogits(String base, String name) {
    Fixtures.Logits golden = Fixtures.logits(name + ".merged");
    try (CausalLM model = LoraTesting.tiny(base);
        LoraModel lora = LoraModel.load(model, Fixtures.path("hf/" + name + "-lora"))) {
      lora.merge();
      assertTrue(lora.isMerged());
      double err = Fixtures.maxAbsDiff(golden.logits(), LoraTesting.logits(model));
      System.out.printf("parity %s merged: max |logit err| %.3g%n", name, err);
      assertTrue(err < TOLERANCE, name + " merged logits error " + err);
    }
  }

  @ParameterizedTest
  @MethodSource("adapters")
  void mergeAndSaveWritesACheckpointWithPeftMergedLogits(
      String base, String name, @TempDir Path out) throws Exception {
    Fixtures.Logits golden = Fixtures.logits(name + ".merged");
    float[] before;
    try (CausalLM model = LoraTesting.tiny(base);
        LoraModel lora = LoraModel.load(model, Fixtures.path("hf/" + name + "-lora"))) {
      before = LoraTesting.logits(model);
      lora.mergeAndSave(out);
      assertTrue(!lora.isMerged(), "mergeAndSave leaves the live model unmerged");
      assertEquals(0.0, LoraTesting.maxAbsDiff(before, LoraTesting.logits(model)));
    }
    try (CausalLM merged = HfCheckpoint.load(out)) {
      double err = Fixtures.maxAbsDiff(golden.logits(), LoraTesting.logits(merged));
      System.out.printf("parity %s mergeAndSave: max |logit err| %.3g%n", name, err);
      assertTrue(err < TOLERANCE, name + " merged checkpoint logits error " + err);
    }
  }

  @Test
  void gptNeoxAdapterNamingTheHeadEmbedOutLoadsAsLmHead(@TempDir Path legacy) throws Exception {
    // PEFT on transformers 4 called GPT-NeoX's head embed_out, in the config and the tensor keys
    Path src = Fixtures.path("hf/neox-tiny-mts-lora");
    String config = Files.readString(src.resolve(AdapterConfigFile.CONFIG));
    Files.writeString(
        legacy.resolve(AdapterConfigFile.CONFIG), config.replace("\"lm_head\"", "\"embed_out\""));
    SafeTensors.Contents contents = SafeTensors.read(src.resolve(AdapterConfigFile.WEIGHTS));
    Map<String, NDArray> renamed = new LinkedHashMap<>();
    try (NDManager m = NDManager.newBaseManager()) {
      contents
          .tensors()
          .forEach((k, t) -> renamed.put(k.replace(".lm_head.", ".embed_out."), t.toNDArray(m)));
      assertTrue(renamed.containsKey("base_model.model.embed_out.weight"), renamed.toString());
      SafeTensors.write(legacy.resolve(AdapterConfigFile.WEIGHTS), renamed, Map.of());
    }
    Fixtures.Logits golden = Fixtures.logits("neox-tiny-mts.lora");
    try (CausalLM model = LoraTesting.tiny("neox-tiny");
        LoraModel lora = LoraModel.load(model, legacy)) {
      double err = Fixtures.maxAbsDiff(golden.logits(), LoraTesting.logits(model));
      assertTrue(err < TOLERANCE, "embed_out adapter logits error " + err);
      assertEquals(List.of("lm_head"), lora.config(LoraModel.DEFAULT_ADAPTER).modulesToSave());
    }
  }

  @Test
  void savedBaseWeightOfTheHeadMustBeThisModelsHead(@TempDir Path changed) throws Exception {
    // PEFT saves lm_head.base_layer.weight when LoRA targets the head; one that differs from
    // this model's head (a resized or retrained head) is refused, not silently replaced
    Path src = Fixtures.path("hf/neox-tiny-head-lora");
    Files.copy(src.resolve(AdapterConfigFile.CONFIG), changed.resolve(AdapterConfigFile.CONFIG));
    SafeTensors.Contents contents = SafeTensors.read(src.resolve(AdapterConfigFile.WEIGHTS));
    String key = "base_model.model.lm_head.base_layer.weight";
    assertTrue(contents.tensors().containsKey(key), contents.tensors().keySet().toString());
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    try (NDManager m = NDManager.newBaseManager()) {
      contents.tensors().forEach((k, t) -> tensors.put(k, t.toNDArray(m)));
      tensors.put(key, tensors.get(key).mul(1.01f));
      SafeTensors.write(changed.resolve(AdapterConfigFile.WEIGHTS), tensors, Map.of());
    }
    try (CausalLM model = LoraTesting.tiny("neox-tiny")) {
      CheckpointException e =
          assertThrows(CheckpointException.class, () -> LoraModel.load(model, changed).close());
      assertTrue(
          e.getMessage().contains(key) && e.getMessage().contains("resized"), e.getMessage());
    }
  }
}
