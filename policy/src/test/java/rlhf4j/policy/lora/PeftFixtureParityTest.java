package rlhf4j.policy.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.testing.Fixtures;

/** Adapters written by PEFT reproduce PEFT's logits, unmerged and merged. */
class PeftFixtureParityTest {
  private static final double TOLERANCE = 1e-4; // issue: within 1e-4, aim 1e-5

  @ParameterizedTest
  @ValueSource(
      strings = {"gpt2-tiny", "llama-tiny", "neox-tiny", "qwen3-tiny", "gemma3-tiny", "phi3-tiny"})
  void peftAdapterReproducesPeftLogits(String name) {
    Fixtures.Logits golden = Fixtures.logits(name + ".lora");
    try (CausalLM model = LoraTesting.tiny(name);
        LoraModel lora = LoraModel.load(model, Fixtures.path("hf/" + name + "-lora"))) {
      double err = Fixtures.maxAbsDiff(golden.logits(), LoraTesting.logits(model));
      System.out.printf("parity %s lora: max |logit err| %.3g%n", name, err);
      assertTrue(err < TOLERANCE, name + " lora logits error " + err);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"gpt2-tiny", "llama-tiny", "neox-tiny", "qwen3-tiny", "gemma3-tiny", "phi3-tiny"})
  void mergedAdapterReproducesPeftMergedLogits(String name) {
    Fixtures.Logits golden = Fixtures.logits(name + ".merged");
    try (CausalLM model = LoraTesting.tiny(name);
        LoraModel lora = LoraModel.load(model, Fixtures.path("hf/" + name + "-lora"))) {
      lora.merge();
      assertTrue(lora.isMerged());
      double err = Fixtures.maxAbsDiff(golden.logits(), LoraTesting.logits(model));
      System.out.printf("parity %s merged: max |logit err| %.3g%n", name, err);
      assertTrue(err < TOLERANCE, name + " merged logits error " + err);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"gpt2-tiny", "llama-tiny", "neox-tiny", "qwen3-tiny", "gemma3-tiny", "phi3-tiny"})
  void mergeAndSaveWritesACheckpointWithPeftMergedLogits(String name, @TempDir Path out)
      throws Exception {
    Fixtures.Logits golden = Fixtures.logits(name + ".merged");
    float[] before;
    try (CausalLM model = LoraTesting.tiny(name);
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
}
