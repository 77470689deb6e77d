package rlhf4j.policy.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;

/**
 * Phi-3 against {@link DecoderOracle} (plain loops from transformers' modeling_phi3.py; no
 * transformers is reachable here): fused qkv_proj with grouped-query sizes, fused gate_up_proj,
 * partial rotary, a sliding window in every layer, LoRA on the fused qkv_proj (PEFT-style).
 */
class Phi3OracleTest {
  private static final double TOLERANCE = 1e-5;
  private static final long[][] LEFT_PADDED = {{1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 0, 1, 1, 1, 1, 1}};

  static ModelConfig config() {
    return Presets.config("tiny-phi3").toBuilder()
        .vocabSize(97)
        .hiddenSize(32)
        .numHeads(4)
        .numKvHeads(2)
        .headDim(8)
        .rotaryPct(0.5)
        .intermediateSize(48)
        .maxPositions(64)
        .slidingWindow(5)
        .layerTypes(java.util.Collections.nCopies(2, rlhf4j.policy.model.AttentionType.SLIDING))
        .build();
  }

  @Test
  void baseAndLeftPaddedLogitsMatchTheOracle() {
    ModelConfig c = config();
    try (CausalLM model = Qwen3OracleTest.model(c, 51)) {
      DecoderOracle oracle = new DecoderOracle(c, model.parameters());
      double all =
          Qwen3OracleTest.compare(
              model, oracle, new long[][] {{1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1}});
      double padded = Qwen3OracleTest.compare(model, oracle, LEFT_PADDED);
      System.out.printf("phi3 oracle: base %.3g, left-padded %.3g%n", all, padded);
      assertTrue(all < TOLERANCE, "base error " + all);
      assertTrue(padded < TOLERANCE, "padded error " + padded);
    }
  }

  @Test
  void loraAndMergedLogitsMatchTheOracle() {
    ModelConfig c = config();
    try (CausalLM model = Qwen3OracleTest.model(c, 32);
        LoraModel lora =
            LoraModel.inject(model, LoraConfig.builder().r(4).loraAlpha(8).build(), 33)) {
      DecoderOracle oracle = new DecoderOracle(c, model.parameters());
      Map<String, NDArray> trainable = lora.trainableParameters();
      for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
        if (e.getKey().contains(".lora_B.")) {
          e.getValue().addi(0.05f);
        }
      }
      for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
        String key = e.getKey();
        if (key.contains(".lora_A.")) {
          String path = key.substring(LoraModel.KEY_PREFIX.length(), key.indexOf(".lora_A."));
          oracle.addLowRank(
              path + ".weight",
              e.getValue(),
              trainable.get(key.replace(".lora_A.", ".lora_B.")),
              8.0 / 4);
        }
      }
      double err = Qwen3OracleTest.compare(model, oracle, LEFT_PADDED);
      lora.merge();
      double merged = Qwen3OracleTest.compare(model, oracle, LEFT_PADDED);
      System.out.printf("phi3 oracle: LoRA %.3g, merged %.3g%n", err, merged);
      assertTrue(err < TOLERANCE, "LoRA error " + err);
      assertTrue(merged < TOLERANCE, "merged error " + merged);
    }
  }

  @Test
  void kvCacheEqualsFullRecomputation() {
    try (CausalLM model = Qwen3OracleTest.model(config(), 34);
        NDManager m = NDManager.newBaseManager()) {
      long[][] ids = {{3, 50, 7, 96, 12, 0, 41, 77}, {9, 9, 1, 64, 33, 8, 2, 90}};
      double err = Qwen3OracleTest.cacheVersusFull(model, m, ids, LEFT_PADDED, 3);
      System.out.printf("phi3 KV cache vs full: %.3g%n", err);
      assertTrue(err < TOLERANCE, "cache error " + err);
    }
  }

  @Test
  void checkpointAndConfigRoundTrip(@TempDir Path dir) throws IOException {
    ModelConfig c = config();
    assertEquals(c, HfConfig.fromJson(HfConfig.toJson(c), new JsonObject()));
    assertEquals(
        "Phi3ForCausalLM", HfConfig.toJson(c).getAsJsonArray("architectures").get(0).getAsString());
    try (CausalLM model = Qwen3OracleTest.model(c, 35)) {
      HfCheckpoint.save(model, dir);
      try (CausalLM back = HfCheckpoint.load(dir)) {
        assertEquals(c, back.config());
        assertEquals(
            List.of((4L + 2 * 2) * 8, 32L),
            List.of(
                back.parameters().get("model.layers.0.self_attn.qkv_proj.weight").getShape().get(0),
                back.parameters()
                    .get("model.layers.0.self_attn.qkv_proj.weight")
                    .getShape()
                    .get(1)));
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
          assertArrayEquals(
              e.getValue().toFloatArray(), back.parameters().get(e.getKey()).toFloatArray());
        }
      }
    }
  }

  @Test
  void longRopeWithoutItsFactorsIsRefusedByField() {
    JsonObject j = HfConfig.toJson(config());
    JsonObject rope = new JsonObject();
    rope.addProperty("type", "longrope");
    j.add("rope_scaling", rope);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> HfConfig.fromJson(j, new JsonObject()));
    // LongRoPE itself is supported (Phi3LongRopeOracleTest); without factors it names the field
    assertTrue(e.getMessage().contains("rope_scaling.short_factor"), e.getMessage());
    assertEquals(List.of("qkv_proj"), Architectures.PHI3.defaultLoraTargets());
  }
}
