package rlhf4j.policy.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.policy.model.CausalLM;

/**
 * PEFT's LoRA invariants (tests/test_custom_models.py) on the tiny GPT-2, Llama and NeoX models.
 */
class LoraInvariantsTest {
  private static final LoraConfig ALL_LINEAR =
      LoraConfig.builder().r(4).loraAlpha(8).allLinear().build();

  @ParameterizedTest
  @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "neox-tiny"})
  void freshAdapterLeavesLogitsUnchanged(String name) {
    try (CausalLM model = LoraTesting.tiny(name)) {
      float[] base = LoraTesting.logits(model);
      try (LoraModel lora = LoraModel.inject(model, ALL_LINEAR, 1)) {
        assertEquals(model.linears().size(), lora.adaptedModules("default").size());
        // A is random, B is zero: the update is exactly zero
        assertArrayEquals(base, LoraTesting.logits(model));
        assertArrayEquals(base, LoraTesting.logits(model, true));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "neox-tiny"})
  void adaptersOffEqualsBaseBitwise(String name) {
    try (CausalLM model = LoraTesting.tiny(name)) {
      float[] base = LoraTesting.logits(model);
      try (LoraModel lora = LoraModel.inject(model, ALL_LINEAR, 2)) {
        LoraTesting.randomizeB(lora, 3, 0.1);
        float[] adapted = LoraTesting.logits(model);
        assertTrue(LoraTesting.maxAbsDiff(base, adapted) > 1e-3, "the adapter changes logits");
        try (var off = lora.adaptersDisabled()) {
          assertFalse(lora.adaptersEnabled());
          assertArrayEquals(base, LoraTesting.logits(model));
          assertArrayEquals(base, LoraTesting.logits(model, true));
        }
        assertTrue(lora.adaptersEnabled());
        assertArrayEquals(adapted, LoraTesting.logits(model));
      }
    }
  }

  @Test
  void adaptersDisabledRestoresStateAfterAnException() {
    try (CausalLM model = LoraTesting.tiny("gpt2-tiny");
        LoraModel lora = LoraModel.inject(model, ALL_LINEAR, 2)) {
      LoraTesting.randomizeB(lora, 3, 0.1);
      float[] adapted = LoraTesting.logits(model);
      assertThrows(
          IllegalStateException.class,
          () -> {
            try (var off = lora.adaptersDisabled()) {
              throw new IllegalStateException("boom");
            }
          });
      assertTrue(lora.adaptersEnabled());
      assertArrayEquals(adapted, LoraTesting.logits(model));
      // nested scopes restore the outer state, not "on"
      try (var outer = lora.adaptersDisabled()) {
        try (var inner = lora.adaptersDisabled()) {
          assertFalse(lora.adaptersEnabled());
        }
        assertFalse(lora.adaptersEnabled(), "closing the inner scope keeps the outer one off");
      }
      assertTrue(lora.adaptersEnabled());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "neox-tiny"})
  void optimizerStepChangesOnlyAdapterParameters(String name) {
    try (CausalLM model = LoraTesting.tiny(name);
        LoraModel lora = LoraModel.inject(model, ALL_LINEAR, 4)) {
      Map<String, float[]> base = LoraTesting.snapshot(model.parameters());
      LinkedHashMap<String, NDArray> trainable = lora.trainableParameters();
      Map<String, float[]> before = LoraTesting.snapshot(trainable);
      for (int step = 0; step < 2; step++) {
        sgdStep(model, trainable, 0.1f);
      }
      for (NDArray p : model.parameters().values()) {
        assertFalse(p.hasGradient(), "base parameters take no gradient");
      }
      Map<String, float[]> after = LoraTesting.snapshot(model.parameters());
      for (String k : base.keySet()) {
        assertArrayEquals(base.get(k), after.get(k), k + " is a base weight and must not change");
      }
      for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
        assertFalse(
            Arrays.equals(before.get(e.getKey()), e.getValue().toFloatArray()),
            e.getKey() + " should have trained");
      }
    }
  }

  /** loss = −mean log p(next token); grads by autograd; p −= lr·grad outside the collector. */
  static void sgdStep(CausalLM model, Map<String, NDArray> params, float lr) {
    try (NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope()) {
      NDArray ids = LoraTesting.ids(m, LoraTesting.IDS);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray logits = model.forward(ids, null, null, true, true).logits(); // (B, T, V)
        NDArray lp = rlhf4j.policy.model.TokenLogProbs.nextTokens(logits, ids, 1.0); // (B, T-1)
        gc.backward(lp.mean().neg());
      }
      for (NDArray p : params.values()) {
        try (NDArray g = p.getGradient()) {
          p.subi(g.mul(lr));
          g.subi(g); // zero the accumulated gradient
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "neox-tiny"})
  void mergedEqualsUnmergedAndUnmergeRestoresTheBase(String name) {
    try (CausalLM model = LoraTesting.tiny(name);
        LoraModel lora = LoraModel.inject(model, ALL_LINEAR, 5)) {
      Map<String, float[]> base = LoraTesting.snapshot(model.parameters());
      LoraTesting.randomizeB(lora, 6, 0.1);
      float[] unmerged = LoraTesting.logits(model);
      lora.merge();
      lora.merge(); // merging twice does nothing
      float[] merged = LoraTesting.logits(model);
      double diff = LoraTesting.maxAbsDiff(unmerged, merged);
      assertTrue(diff < 1e-5, "merged differs from unmerged by " + diff);
      lora.unmerge();
      assertFalse(lora.isMerged());
      double worst = 0;
      for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
        worst =
            Math.max(
                worst, LoraTesting.maxAbsDiff(base.get(e.getKey()), e.getValue().toFloatArray()));
      }
      assertTrue(worst < 1e-6, "unmerge leaves the base off by " + worst);
      assertTrue(LoraTesting.maxAbsDiff(unmerged, LoraTesting.logits(model)) < 1e-5);
    }
  }

  @Test
  void disablingWhileMergedUnmergesAndMergesBackOnClose() {
    try (CausalLM model = LoraTesting.tiny("llama-tiny")) {
      float[] base = LoraTesting.logits(model);
      try (LoraModel lora = LoraModel.inject(model, ALL_LINEAR, 7)) {
        LoraTesting.randomizeB(lora, 8, 0.1);
        float[] adapted = LoraTesting.logits(model);
        lora.merge();
        try (var off = lora.adaptersDisabled()) {
          assertFalse(lora.isMerged());
          assertTrue(LoraTesting.maxAbsDiff(base, LoraTesting.logits(model)) < 1e-5);
          assertThrows(IllegalStateException.class, lora::merge);
        }
        assertTrue(lora.isMerged());
        assertTrue(LoraTesting.maxAbsDiff(adapted, LoraTesting.logits(model)) < 1e-5);
      }
      // closing the LoraModel unmerges and detaches: the model is the base again
      assertTrue(LoraTesting.maxAbsDiff(base, LoraTesting.logits(model)) < 1e-5);
      for (var l : model.linears()) {
        assertEquals(null, l.adapter());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "neox-tiny"})
  void saveThenLoadIsBitwise(String name, @TempDir Path dir) throws Exception {
    LoraConfig config =
        LoraConfig.builder()
            .r(3)
            .loraAlpha(6)
            .useRslora(name.startsWith("llama"))
            .allLinear()
            .build();
    Map<String, float[]> saved;
    float[] logits;
    try (CausalLM model = LoraTesting.tiny(name);
        LoraModel lora = LoraModel.inject(model, config, 9)) {
      LoraTesting.randomizeB(lora, 10, 0.1);
      saved = LoraTesting.snapshot(lora.trainableParameters());
      logits = LoraTesting.logits(model);
      lora.save(dir);
    }
    try (CausalLM model = LoraTesting.tiny(name);
        LoraModel lora = LoraModel.load(model, dir)) {
      Map<String, float[]> loaded = LoraTesting.snapshot(lora.trainableParameters());
      assertEquals(saved.keySet(), loaded.keySet());
      for (String k : saved.keySet()) {
        assertArrayEquals(saved.get(k), loaded.get(k), k);
      }
      assertArrayEquals(logits, LoraTesting.logits(model));
      assertEquals(config.useRslora(), lora.config("default").useRslora());
    }
  }

  @Test
  void severalAdaptersSwitchCorrectly(@TempDir Path dir) throws Exception {
    try (CausalLM model = LoraTesting.tiny("gpt2-tiny")) {
      float[] base = LoraTesting.logits(model);
      try (LoraModel lora = LoraModel.inject(model, ALL_LINEAR, 11)) {
        LoraTesting.randomizeB(lora, 12, 0.1);
        float[] first = LoraTesting.logits(model);
        lora.addAdapter("second", LoraConfig.builder().r(2).targetModules("c_fc").build(), 13);
        assertEquals(List.of("default", "second"), lora.adapterNames());
        assertEquals("default", lora.activeAdapter(), "a new adapter is not active until set");
        assertArrayEquals(first, LoraTesting.logits(model));
        lora.setActive("second");
        assertArrayEquals(base, LoraTesting.logits(model), "fresh second adapter is a no-op");
        LoraTesting.randomizeB(lora, 14, 0.1);
        float[] second = LoraTesting.logits(model);
        assertTrue(LoraTesting.maxAbsDiff(first, second) > 1e-3);
        assertTrue(
            lora.trainableParameters().keySet().stream().allMatch(k -> k.contains(".second.")));
        lora.setActive("default");
        assertArrayEquals(first, LoraTesting.logits(model));
        assertTrue(
            lora.trainableParameters().keySet().stream().allMatch(k -> k.contains(".default.")));

        lora.save(dir);
        assertTrue(dir.resolve("adapter_config.json").toFile().isFile());
        assertTrue(dir.resolve("second/adapter_model.safetensors").toFile().isFile());

        lora.deleteAdapter("default");
        assertEquals(List.of("second"), lora.adapterNames());
        assertEquals("second", lora.activeAdapter());
        assertArrayEquals(second, LoraTesting.logits(model));
        assertNotNull(model.linears().get(2).adapter(), "c_fc keeps its adapter");
        assertEquals(null, model.linears().get(0).adapter(), "c_attn is detached");
        assertThrows(IllegalArgumentException.class, () -> lora.setActive("default"));
        lora.deleteAdapter("second");
        assertEquals(null, lora.activeAdapter());
        assertArrayEquals(base, LoraTesting.logits(model));
      }
      try (LoraModel lora = LoraModel.load(model, dir)) {
        lora.loadAdapter(dir.resolve("second"), "second");
        assertEquals(List.of("default", "second"), lora.adapterNames());
      }
    }
  }

  @Test
  void adapterDropoutActsOnlyInTraining() {
    try (CausalLM model = LoraTesting.tiny("llama-tiny")) {
      float[] evalNoDrop;
      float[] trainNoDrop;
      LoraConfig noDrop = LoraConfig.builder().r(4).allLinear().build();
      try (LoraModel lora = LoraModel.inject(model, noDrop, 15)) {
        LoraTesting.randomizeB(lora, 16, 0.1);
        evalNoDrop = LoraTesting.logits(model);
        trainNoDrop = LoraTesting.logits(model, true);
      }
      assertArrayEquals(evalNoDrop, trainNoDrop);
      LoraConfig drop = noDrop.toBuilder().loraDropout(0.5).build();
      try (LoraModel lora = LoraModel.inject(model, drop, 15)) {
        LoraTesting.randomizeB(lora, 16, 0.1);
        assertArrayEquals(evalNoDrop, LoraTesting.logits(model), "no dropout in eval mode");
        assertTrue(
            LoraTesting.maxAbsDiff(trainNoDrop, LoraTesting.logits(model, true)) > 1e-4,
            "dropout changes the training forward");
      }
    }
  }

  @Test
  void trainableBiasesMeanAdaptersOffIsNoLongerTheBase() {
    try (CausalLM model = LoraTesting.tiny("gpt2-tiny")) {
      float[] base = LoraTesting.logits(model);
      LoraConfig config =
          LoraConfig.builder().r(4).targetModules("c_attn").bias(LoraConfig.Bias.ALL).build();
      try (LoraModel lora = LoraModel.inject(model, config, 17)) {
        LinkedHashMap<String, NDArray> trainable = lora.trainableParameters();
        assertTrue(
            trainable.containsKey("base_model.model.transformer.h.0.attn.c_attn.base_layer.bias"));
        assertTrue(trainable.containsKey("base_model.model.transformer.h.0.ln_1.bias"));
        sgdStep(model, trainable, 0.1f);
        try (var off = lora.adaptersDisabled()) {
          assertTrue(
              LoraTesting.maxAbsDiff(base, LoraTesting.logits(model)) > 1e-4,
              "trained biases are base weights: adapters off differs from the original model");
        }
      }
    }
  }

  @Test
  void loraOnlyBiasTrainsOnlyTheAdaptedLayersBiases() {
    try (CausalLM model = LoraTesting.tiny("gpt2-tiny");
        LoraModel lora =
            LoraModel.inject(
                model,
                LoraConfig.builder().targetModules("c_fc").bias(LoraConfig.Bias.LORA_ONLY).build(),
                18)) {
      List<String> biases =
          lora.trainableParameters().keySet().stream().filter(k -> k.endsWith("bias")).toList();
      assertEquals(
          List.of(
              "base_model.model.transformer.h.0.mlp.c_fc.base_layer.bias",
              "base_model.model.transformer.h.1.mlp.c_fc.base_layer.bias"),
          biases);
      assertTrue(model.parameters().get("transformer.h.0.mlp.c_fc.bias").hasGradient());
      assertFalse(model.parameters().get("transformer.h.0.ln_1.bias").hasGradient());
    }
  }

  @Test
  void adaptersOffAllocatesNoCopyOfBaseWeights() {
    try (CausalLM model = LoraTesting.tiny("llama-tiny");
        LoraModel lora = LoraModel.inject(model, ALL_LINEAR, 19)) {
      LoraTesting.randomizeB(lora, 20, 0.1);
      LoraTesting.logits(model);
      MemoryReport before = lora.memoryReport(0);
      assertEquals(model.parameters().size(), before.baseArrays());
      assertEquals(model.parameterBytes(), before.baseBytes());
      MemoryReport inside;
      try (var off = lora.adaptersDisabled()) {
        LoraTesting.logits(model);
        inside = lora.memoryReport(0);
      }
      MemoryReport after = lora.memoryReport(123);
      assertEquals(before.baseArrays(), inside.baseArrays());
      assertEquals(before.baseBytes(), inside.baseBytes());
      assertEquals(before.baseBytes(), after.baseBytes());
      assertEquals(before.adapterBytes(), inside.adapterBytes());
      long loraElems = 0;
      for (NDArray a : lora.trainableParameters().values()) {
        loraElems += a.size();
      }
      assertEquals(4 * loraElems, before.adapterBytes());
      assertEquals(123, after.optimizerBytes());
      assertEquals(after.baseBytes() + after.adapterBytes() + 123, after.totalBytes());
    }
  }

  @Test
  void modulesToSaveTrainsACopyOfTheHead(@TempDir Path dir) throws Exception {
    try (CausalLM model = LoraTesting.tiny("llama-tiny")) {
      float[] base = LoraTesting.logits(model);
      LoraConfig config =
          LoraConfig.builder().r(2).targetModules("q_proj").modulesToSave("lm_head").build();
      float[] adapted;
      try (LoraModel lora = LoraModel.inject(model, config, 21)) {
        LinkedHashMap<String, NDArray> trainable = lora.trainableParameters();
        assertTrue(
            trainable.containsKey("base_model.model.lm_head.modules_to_save.default.weight"));
        assertArrayEquals(base, LoraTesting.logits(model), "an untrained copy changes nothing");
        sgdStep(model, trainable, 0.5f);
        adapted = LoraTesting.logits(model);
        assertTrue(LoraTesting.maxAbsDiff(base, adapted) > 1e-4);
        try (var off = lora.adaptersDisabled()) {
          assertArrayEquals(base, LoraTesting.logits(model), "adapters off uses the original head");
        }
        lora.save(dir);
      }
      try (LoraModel lora = LoraModel.load(model, dir)) {
        assertArrayEquals(adapted, LoraTesting.logits(model));
      }
    }
  }

  @Test
  void tiedHeadCannotBeMerged() {
    try (CausalLM model = LoraTesting.tiny("gpt2-tiny");
        LoraModel lora =
            LoraModel.inject(model, LoraConfig.builder().targetModules("lm_head").build(), 22)) {
      assertEquals(List.of("lm_head"), lora.adaptedModules("default"));
      LoraTesting.randomizeB(lora, 23, 0.1);
      IllegalStateException e = assertThrows(IllegalStateException.class, lora::merge);
      assertTrue(e.getMessage().contains("tied"), e.getMessage());
    }
  }

  @Test
  void gpt2SmallTrainableReportMatchesPeft() {
    // transformers' GPT2Config() defaults are GPT-2 small
    rlhf4j.policy.model.ModelConfig gpt2Small =
        rlhf4j.policy.model.ModelConfig.builder(rlhf4j.policy.family.Architectures.GPT2).build();
    try (CausalLM model = CausalLM.random(gpt2Small, 0);
        LoraModel lora =
            LoraModel.inject(
                model, LoraConfig.builder().r(16).targetModules("c_attn").build(), 0)) {
      assertEquals(124_439_808L, model.parameterCount());
      TrainableReport r = lora.trainableReport();
      System.out.println("GPT-2 small, c_attn r=16: " + r);
      assertEquals(589_824L, r.trainable()); // 12 · 16 · (768 + 2304)
      assertEquals(125_029_632L, r.total());
      assertEquals(
          "trainable params: 589,824 || all params: 125,029,632 || trainable%: 0.4717",
          r.toString());
      assertTrue(lora.config("default").fanInFanOut(), "Conv1D forces fan_in_fan_out");
    }
  }
}
