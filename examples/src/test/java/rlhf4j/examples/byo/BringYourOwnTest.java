package rlhf4j.examples.byo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rlhf4j.testing.FloatArrays.maxAbsDiff;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.testing.Fixtures;

/**
 * The example on tiny fixtures: the transformers-made GPT-2 folder and a Llama folder made here.
 */
class BringYourOwnTest {
  @TempDir Path tmp;

  static Path fixture(String name) throws Exception {
    return Fixtures.path("hf/" + name);
  }

  static void copyFolder(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
  }

  @Test
  void gpt2FolderTrainsAndItsAdapterAndMergedModelLoadBack() throws Exception {
    Path model = tmp.resolve("gpt2-tiny");
    copyFolder(fixture("gpt2-tiny"), model);
    BringYourOwn.Result r = BringYourOwn.run(model, tmp.resolve("out"), "e,a,o,t", 2, 0);
    checkRun(model, r);
    assertTrue(
        Files.readString(r.adapterDir().resolve("adapter_config.json")).contains("c_attn"),
        "GPT-2's default LoRA target");
  }

  @Test
  void llamaFolderTrainsAndItsAdapterAndMergedModelLoadBack() throws Exception {
    Path model = tmp.resolve("tiny-llama");
    try (CausalLM random = CausalLM.random(Presets.config("tiny-llama"), 3)) {
      HfCheckpoint.save(random, model);
    }
    for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
      Files.copy(fixture("gpt2-tiny").resolve(f), model.resolve(f)); // 262 tokens <= 1024
    }
    BringYourOwn.Result r = BringYourOwn.run(model, tmp.resolve("out"), "e,a,o,t", 2, 0);
    checkRun(model, r);
    String adapterConfig = Files.readString(r.adapterDir().resolve("adapter_config.json"));
    assertTrue(adapterConfig.contains("q_proj") && adapterConfig.contains("v_proj"), adapterConfig);
  }

  @Test
  void printableShowsControlAndReplacementCharactersAsDots() {
    assertEquals("a·b·c", BringYourOwn.printable("a\nb\uFFFDc"));
    assertEquals("héllo wörld", BringYourOwn.printable("héllo wörld"));
  }

  /**
   * The adapter loads onto the base and the merged folder loads on its own; both give the same
   * logits, which differ from the base's (training moved the adapter).
   */
  private static void checkRun(Path modelDir, BringYourOwn.Result r) {
    assertEquals(2, r.meanRewards().size());
    assertEquals(BringYourOwn.PROMPTS.size(), r.before().size());
    assertEquals(BringYourOwn.PROMPTS.size(), r.after().size());
    assertTrue(Files.isRegularFile(r.adapterDir().resolve("adapter_config.json")));
    assertTrue(Files.isRegularFile(r.adapterDir().resolve("adapter_model.safetensors")));
    try (Tokenizer tokenizer = Tokenizer.load(r.mergedDir()); // tokenizer files were copied
        CausalLM base = HfCheckpoint.load(modelDir);
        CausalLM merged = HfCheckpoint.load(r.mergedDir());
        NDManager m = NDManager.newBaseManager();
        NoGrad ng = NoGrad.enter()) {
      long[] ids = tokenizer.encode("Once upon a time");
      NDArray input = m.create(ids, new Shape(1, ids.length));
      NDArray mask = m.ones(new Shape(1, ids.length), ai.djl.ndarray.types.DataType.INT64);
      float[] baseLogits = base.forward(input, mask).logits().toFloatArray();
      float[] mergedLogits = merged.forward(input, mask).logits().toFloatArray();
      float[] adapterLogits;
      try (LoraModel lora = LoraModel.load(base, r.adapterDir())) {
        adapterLogits = base.forward(input, mask).logits().toFloatArray();
      }
      assertEquals(baseLogits.length, mergedLogits.length);
      assertTrue(
          maxAbsDiff(mergedLogits, adapterLogits) < 1e-4,
          "merged vs base + adapter: " + maxAbsDiff(mergedLogits, adapterLogits));
      assertTrue(
          maxAbsDiff(mergedLogits, baseLogits) > 1e-5,
          "the trained adapter should change the logits: " + maxAbsDiff(mergedLogits, baseLogits));
    }
  }

  @Test
  void withoutArgumentsItPrintsUsageAndFails() throws Exception {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int code =
        BringYourOwn.main(
            new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(2, code);
    assertTrue(
        err.toString(java.nio.charset.StandardCharsets.UTF_8).contains("usage: BringYourOwn"));
  }
}
