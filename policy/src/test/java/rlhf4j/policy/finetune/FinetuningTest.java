package rlhf4j.policy.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.TokenLogProbs;
import rlhf4j.testing.Fixtures;

/** The three fine-tuning modes mark and return exactly what trains, with one training step. */
class FinetuningTest {
  private static CausalLM tiny(String name) {
    return HfCheckpoint.load(Fixtures.path("hf/" + name));
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "neox-tiny"})
  void fullFinetuningTrainsEveryParameter(String name) {
    try (CausalLM model = tiny(name)) {
      LinkedHashMap<String, NDArray> p = Finetuning.full().prepare(model);
      assertEquals(List.copyOf(model.parameters().keySet()), List.copyOf(p.keySet()));
      Map<String, float[]> before = snapshot(model.parameters());
      step(model, p);
      for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
        assertFalse(
            Arrays.equals(before.get(e.getKey()), e.getValue().toFloatArray()),
            e.getKey() + " trains");
      }
      assertEquals(
          "trainable%: 100.0000", Finetuning.report(model, p).toString().split(" \\|\\| ")[2]);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "neox-tiny"})
  void layerFreezingTrainsOnlyTheLastBlocksAndTheFinalNorm(String name) {
    try (CausalLM model = tiny(name)) {
      Finetuning.full().prepare(model); // start from everything trainable
      LinkedHashMap<String, NDArray> p = Finetuning.lastBlocks(1).prepare(model);
      for (String k : p.keySet()) {
        assertTrue(
            LayerFreezing.blockIndex(k) == 1 || model.finalNormParameterNames().contains(k), k);
      }
      String lastBlock =
          Map.of(
                  "gpt2-tiny",
                  "transformer.h.1.",
                  "llama-tiny",
                  "model.layers.1.",
                  "neox-tiny",
                  "gpt_neox.layers.1.")
              .get(name);
      long expected =
          model.parameters().keySet().stream().filter(k -> k.startsWith(lastBlock)).count()
              + model.finalNormParameterNames().size();
      assertEquals(expected, p.size());
      Map<String, float[]> before = snapshot(model.parameters());
      step(model, p);
      for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
        boolean changed = !Arrays.equals(before.get(e.getKey()), e.getValue().toFloatArray());
        assertEquals(p.containsKey(e.getKey()), changed, e.getKey());
        assertEquals(p.containsKey(e.getKey()), e.getValue().hasGradient(), e.getKey());
      }
    }
  }

  @Test
  void layerFreezingChecksTheBlockCount() {
    assertThrows(IllegalArgumentException.class, () -> Finetuning.lastBlocks(0));
    try (CausalLM model = tiny("gpt2-tiny")) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> Finetuning.lastBlocks(3).prepare(model));
      assertTrue(e.getMessage().contains("only 2 blocks"), e.getMessage());
    }
  }

  @Test
  void blockIndexReadsTheThirdPathComponent() {
    assertEquals(11, LayerFreezing.blockIndex("transformer.h.11.attn.c_attn.weight"));
    assertEquals(0, LayerFreezing.blockIndex("model.layers.0.mlp.up_proj.weight"));
    assertEquals(-1, LayerFreezing.blockIndex("transformer.wte.weight"));
    assertEquals(-1, LayerFreezing.blockIndex("lm_head.weight"));
  }

  @Test
  void loraModeTrainsTheAdapterAndFreezesTheBase() {
    try (CausalLM model = tiny("llama-tiny")) {
      Finetuning.full().prepare(model);
      try (LoraModel lora = LoraModel.inject(model, LoraConfig.builder().r(2).build(), 3)) {
        LinkedHashMap<String, NDArray> p = Finetuning.lora(lora).prepare(model);
        assertEquals(8, p.size()); // 2 layers × (q_proj, v_proj) × (A, B)
        assertTrue(p.keySet().stream().allMatch(k -> k.contains(".lora_")));
        Map<String, float[]> base = snapshot(model.parameters());
        step(model, p);
        step(model, p);
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
          assertFalse(e.getValue().hasGradient(), e.getKey());
          assertArrayEquals(base.get(e.getKey()), e.getValue().toFloatArray(), e.getKey());
        }
        assertEquals(lora.trainableReport(), Finetuning.report(model, p));
        IllegalStateException e =
            assertThrows(IllegalStateException.class, () -> Finetuning.full().prepare(model));
        assertTrue(e.getMessage().contains("Finetuning.lora"), e.getMessage());
      }
      try (CausalLM other = tiny("llama-tiny");
          LoraModel lora = LoraModel.inject(model, LoraConfig.builder().build(), 4)) {
        assertThrows(IllegalArgumentException.class, () -> Finetuning.lora(lora).prepare(other));
      }
    }
  }

  /** One SGD step (lr 0.1) on −mean next-token log-prob; the update runs outside the collector. */
  private static void step(CausalLM model, Map<String, NDArray> params) {
    try (NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope()) {
      NDArray ids = m.create(new long[] {5, 17, 42, 99, 250, 3, 7, 128}, new Shape(1, 8));
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray logits = model.forward(ids, null, null, true, true).logits();
        gc.backward(TokenLogProbs.nextTokens(logits, ids, 1.0).mean().neg());
      }
      for (NDArray p : params.values()) {
        try (NDArray g = p.getGradient()) {
          p.subi(g.mul(0.1f));
          g.subi(g);
        }
      }
    }
  }

  private static Map<String, float[]> snapshot(Map<String, NDArray> params) {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }
}
