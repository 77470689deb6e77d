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
import rlhf4j.policy.model.AttentionType;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;

/**
 * Gemma 3 text against {@link DecoderOracle} (plain loops from transformers' modeling_gemma3.py; no
 * transformers is reachable here): scaled embeddings, (1 + w) norms, four norms per block, GeGLU,
 * sliding layers with their own RoPE base.
 */
class Gemma3OracleTest {
  private static final double TOLERANCE = 1e-5;
  private static final long[][] ALL = {{1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1}};
  private static final long[][] LEFT_PADDED = {{1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 0, 1, 1, 1, 1, 1}};

  /** Two sliding layers (window 3, base 1e4) then a global one (base 1e6). */
  static ModelConfig config() {
    return Presets.config("tiny-gemma3").toBuilder()
        .vocabSize(97)
        .hiddenSize(32)
        .numLayers(3)
        .numHeads(4)
        .numKvHeads(2)
        .headDim(16)
        .intermediateSize(48)
        .maxPositions(64)
        .slidingWindow(3)
        .layerTypes(List.of(AttentionType.SLIDING, AttentionType.SLIDING, AttentionType.FULL))
        .build();
  }

  @Test
  void baseAndLeftPaddedLogitsMatchTheOracle() {
    ModelConfig c = config();
    try (CausalLM model = Qwen3OracleTest.model(c, 41)) {
      DecoderOracle oracle = new DecoderOracle(c, model.parameters());
      double all = Qwen3OracleTest.compare(model, oracle, ALL);
      double padded = Qwen3OracleTest.compare(model, oracle, LEFT_PADDED);
      System.out.printf("gemma3 oracle: base %.3g, left-padded %.3g%n", all, padded);
      assertTrue(all < TOLERANCE, "base error " + all);
      assertTrue(padded < TOLERANCE, "padded error " + padded);
    }
  }

  @Test
  void loraAndMergedLogitsMatchTheOracle() {
    ModelConfig c = config();
    try (CausalLM model = Qwen3OracleTest.model(c, 42);
        LoraModel lora =
            LoraModel.inject(model, LoraConfig.builder().r(4).loraAlpha(8).build(), 43)) {
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
      System.out.printf("gemma3 oracle: LoRA %.3g, merged %.3g%n", err, merged);
      assertTrue(err < TOLERANCE, "LoRA error " + err);
      assertTrue(merged < TOLERANCE, "merged error " + merged);
    }
  }

  @Test
  void kvCacheEqualsFullRecomputation() {
    try (CausalLM model = Qwen3OracleTest.model(config(), 44);
        NDManager m = NDManager.newBaseManager()) {
      long[][] ids = {{3, 50, 7, 96, 12, 0, 41, 77}, {9, 9, 1, 64, 33, 8, 2, 90}};
      double err = Qwen3OracleTest.cacheVersusFull(model, m, ids, LEFT_PADDED, 2);
      System.out.printf("gemma3 KV cache vs full: %.3g%n", err);
      assertTrue(err < TOLERANCE, "cache error " + err);
    }
  }

  @Test
  void checkpointAndConfigRoundTrip(@TempDir Path dir) throws IOException {
    ModelConfig c = config();
    JsonObject json = HfConfig.toJson(c);
    assertEquals("gemma3_text", json.get("model_type").getAsString());
    assertEquals(c, HfConfig.fromJson(json, new JsonObject()));
    try (CausalLM model = Qwen3OracleTest.model(c, 45)) {
      HfCheckpoint.save(model, dir);
      try (CausalLM back = HfCheckpoint.load(dir)) {
        assertEquals(c, back.config());
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
          assertArrayEquals(
              e.getValue().toFloatArray(), back.parameters().get(e.getKey()).toFloatArray());
        }
      }
    }
  }

  @Test
  void releasedGemma3ConfigReadsItsPattern() {
    // google/gemma-3-1b-it config.json (the fields rlhf4j reads), sliding_window_pattern 6
    JsonObject j = HfConfig.toJson(config());
    j.remove("layer_types");
    j.addProperty("num_hidden_layers", 26);
    j.addProperty("sliding_window", 512);
    j.addProperty("sliding_window_pattern", 6);
    ModelConfig c = HfConfig.fromJson(j, new JsonObject());
    assertEquals(AttentionType.FULL, c.layerTypes().get(5));
    assertEquals(AttentionType.SLIDING, c.layerTypes().get(6));
    assertEquals(4, c.layerTypes().stream().filter(t -> t == AttentionType.FULL).count());
    j.addProperty("final_logit_softcapping", 30.0); // read now (Gemma3ScalingOracleTest)
    assertEquals(30.0, HfConfig.fromJson(j, new JsonObject()).finalLogitSoftcap());
    j.addProperty("final_logit_softcapping", "thirty");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> HfConfig.fromJson(j, new JsonObject()));
    assertTrue(e.getMessage().contains("final_logit_softcapping"), e.getMessage());
  }
}
