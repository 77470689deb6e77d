package rlhf4j.policy.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;

/**
 * Qwen3 against {@link DecoderOracle}, a plain-loop double-precision forward written from
 * transformers' modeling_qwen3.py (no transformers is reachable here to make goldens): base,
 * left-padded batch, LoRA and merged logits, KV cache against full recomputation, save and load.
 */
class Qwen3OracleTest {
  private static final double TOLERANCE = 1e-5;
  private static final long[][] IDS = OracleRuns.IDS;
  private static final long[][] ALL = OracleRuns.ALL;
  private static final long[][] LEFT_PADDED = OracleRuns.LEFT_PADDED;

  /** tiny-qwen3 with a small vocabulary, untied or tied, and head_dim != hidden/heads. */
  static ModelConfig config(boolean tied) {
    return Presets.config("tiny-qwen3").toBuilder()
        .vocabSize(97)
        .hiddenSize(32)
        .numHeads(4)
        .numKvHeads(2)
        .headDim(16) // 4 x 16 = 64 != 32
        .intermediateSize(48)
        .maxPositions(64)
        .tieWordEmbeddings(tied)
        .build();
  }

  @Test
  void baseLogitsMatchTheOracle() {
    for (boolean tied : new boolean[] {true, false}) {
      ModelConfig c = config(tied);
      try (CausalLM model = OracleRuns.model(c, 11)) {
        double err = OracleRuns.compare(model, new DecoderOracle(c, model.parameters()), ALL);
        System.out.printf("qwen3 oracle base (tied=%s): max |logit err| %.3g%n", tied, err);
        assertTrue(err < TOLERANCE, "max abs error " + err);
      }
    }
  }

  @Test
  void leftPaddedBatchMatchesTheOracleOnRealTokens() {
    ModelConfig c = config(true);
    try (CausalLM model = OracleRuns.model(c, 12)) {
      double err = OracleRuns.compare(model, new DecoderOracle(c, model.parameters()), LEFT_PADDED);
      System.out.printf("qwen3 oracle left-padded: max |logit err| %.3g%n", err);
      assertTrue(err < TOLERANCE, "max abs error " + err);
    }
  }

  @Test
  void loraAndMergedLogitsMatchTheOracle() {
    ModelConfig c = config(true);
    LoraConfig lc = LoraConfig.builder().r(4).loraAlpha(8).build(); // PEFT's qwen3 targets
    try (CausalLM model = OracleRuns.model(c, 13);
        LoraModel lora = LoraModel.inject(model, lc, 14)) {
      assertEquals(
          List.of(
              "model.layers.0.self_attn.q_proj",
              "model.layers.0.self_attn.v_proj",
              "model.layers.1.self_attn.q_proj",
              "model.layers.1.self_attn.v_proj"),
          lora.adaptedModules(LoraModel.DEFAULT_ADAPTER));
      DecoderOracle oracle = new DecoderOracle(c, model.parameters());
      SplittableRandom rng = new SplittableRandom(15);
      Map<String, NDArray> trainable = lora.trainableParameters();
      assertEquals(2 * 2 * c.numLayers(), trainable.size());
      for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
        if (e.getKey().contains(".lora_B.")) {
          float[] v = new float[Math.toIntExact(e.getValue().size())];
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) (0.2 * (rng.nextDouble() - 0.5));
          }
          e.getValue().set(v);
        }
      }
      for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
        String key = e.getKey();
        if (key.contains(".lora_A.")) {
          String path = key.substring(LoraModel.KEY_PREFIX.length(), key.indexOf(".lora_A."));
          NDArray b = trainable.get(key.replace(".lora_A.", ".lora_B."));
          oracle.addLowRank(path + ".weight", e.getValue(), b, 8.0 / 4);
        }
      }
      double err = OracleRuns.compare(model, oracle, LEFT_PADDED);
      System.out.printf("qwen3 oracle LoRA: max |logit err| %.3g%n", err);
      assertTrue(err < TOLERANCE, "LoRA max abs error " + err);
      lora.merge();
      double merged = OracleRuns.compare(model, oracle, LEFT_PADDED);
      System.out.printf("qwen3 oracle merged: max |logit err| %.3g%n", merged);
      assertTrue(merged < TOLERANCE, "merged max abs error " + merged);
    }
  }

  @Test
  void kvCacheEqualsFullRecomputationTokenForToken() {
    ModelConfig c = config(true);
    try (CausalLM model = OracleRuns.model(c, 16);
        NDManager m = NDManager.newBaseManager()) {
      double err = OracleRuns.cacheVersusFull(model, m, IDS, LEFT_PADDED, 3);
      System.out.printf("qwen3 KV cache vs full: max |logit err| %.3g%n", err);
      assertTrue(err < TOLERANCE, "cache max abs error " + err);
    }
  }

  @Test
  void savedCheckpointLoadsBitwiseAndSaysQwen3(@TempDir Path dir) throws IOException {
    ModelConfig c = config(true).withSpecialTokens(1, 2, -1);
    try (CausalLM model = OracleRuns.model(c, 17)) {
      HfCheckpoint.save(model, dir);
      JsonObject json =
          JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
      assertEquals("qwen3", json.get("model_type").getAsString());
      assertEquals("Qwen3ForCausalLM", json.getAsJsonArray("architectures").get(0).getAsString());
      assertEquals(16, json.get("head_dim").getAsInt());
      assertEquals(false, json.get("attention_bias").getAsBoolean());
      try (CausalLM back = HfCheckpoint.load(dir)) {
        assertEquals(c, back.config());
        assertEquals(model.parameters().keySet(), back.parameters().keySet());
        assertTrue(back.parameters().containsKey("model.layers.1.self_attn.k_norm.weight"));
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
          assertArrayEquals(
              e.getValue().toFloatArray(),
              back.parameters().get(e.getKey()).toFloatArray(),
              e.getKey());
        }
        try (NDManager m = NDManager.newBaseManager()) {
          assertArrayEquals(
              model.forward(OracleRuns.ids(m, IDS), null).logits().toFloatArray(),
              back.forward(OracleRuns.ids(m, IDS), null).logits().toFloatArray());
        }
      }
    }
  }

  @Test
  void peftAdapterSavedAndLoadedGivesTheSameLogits(@TempDir Path dir) throws IOException {
    ModelConfig c = config(true);
    float[] adapted;
    try (CausalLM model = OracleRuns.model(c, 18);
        LoraModel lora = LoraModel.inject(model, LoraConfig.builder().r(2).build(), 19);
        NDManager m = NDManager.newBaseManager()) {
      for (Map.Entry<String, NDArray> e : lora.trainableParameters().entrySet()) {
        if (e.getKey().contains(".lora_B.")) {
          e.getValue().addi(0.05f);
        }
      }
      adapted = model.forward(OracleRuns.ids(m, IDS), null).logits().toFloatArray();
      lora.save(dir);
    }
    JsonObject adapterConfig =
        JsonParser.parseString(Files.readString(dir.resolve("adapter_config.json")))
            .getAsJsonObject();
    assertEquals(2, adapterConfig.getAsJsonArray("target_modules").size());
    try (CausalLM model = OracleRuns.model(c, 18);
        LoraModel lora = LoraModel.load(model, dir);
        NDManager m = NDManager.newBaseManager()) {
      assertArrayEquals(
          adapted, model.forward(OracleRuns.ids(m, IDS), null).logits().toFloatArray());
    }
  }

  @Test
  void hfConfigRoundTripsWithSlidingLayers() {
    ModelConfig c =
        config(false).toBuilder()
            .slidingWindow(3)
            .layerTypes(
                List.of(
                    rlhf4j.policy.model.AttentionType.FULL,
                    rlhf4j.policy.model.AttentionType.SLIDING))
            .build();
    JsonObject json = HfConfig.toJson(c);
    assertTrue(json.get("use_sliding_window").getAsBoolean());
    assertEquals(1, json.get("max_window_layers").getAsInt());
    assertEquals(c, HfConfig.fromJson(json, new JsonObject()));
    ModelConfig none = config(true);
    assertEquals(none, HfConfig.fromJson(HfConfig.toJson(none), new JsonObject()));
  }

  @Test
  void releasedQwen3ConfigReadsAsThePreset() {
    // Qwen/Qwen3-0.6B config.json (the fields rlhf4j reads)
    String cfg =
        "{\"architectures\":[\"Qwen3ForCausalLM\"],\"attention_bias\":false,"
            + "\"bos_token_id\":151643,\"eos_token_id\":151645,\"head_dim\":128,"
            + "\"hidden_act\":\"silu\",\"hidden_size\":1024,\"intermediate_size\":3072,"
            + "\"max_position_embeddings\":40960,\"max_window_layers\":28,"
            + "\"model_type\":\"qwen3\",\"num_attention_heads\":16,\"num_hidden_layers\":28,"
            + "\"num_key_value_heads\":8,\"rms_norm_eps\":1e-06,\"rope_scaling\":null,"
            + "\"rope_theta\":1000000,\"sliding_window\":null,\"tie_word_embeddings\":true,"
            + "\"torch_dtype\":\"bfloat16\",\"use_cache\":true,\"use_sliding_window\":false,"
            + "\"vocab_size\":151936}";
    ModelConfig c =
        HfConfig.fromJson(JsonParser.parseString(cfg).getAsJsonObject(), new JsonObject());
    assertEquals(Presets.config("qwen3-0.6b"), c);
    assertEquals(2048, c.numHeads() * c.headDim());
    assertEquals(List.of("q_proj", "v_proj"), Architectures.of(c).defaultLoraTargets());
  }
}
