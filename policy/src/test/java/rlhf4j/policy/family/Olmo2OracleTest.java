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
import rlhf4j.policy.model.ResidualLayout;

/**
 * OLMo 2 against {@link DecoderOracle} (plain loops from transformers' modeling_olmo2.py; no
 * transformers is reachable here): post-norm blocks, q/k norms over the whole projection.
 */
class Olmo2OracleTest {
  private static final double TOLERANCE = 1e-5;
  private static final long[][] LEFT_PADDED = {{1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 0, 1, 1, 1, 1, 1}};

  static ModelConfig config() {
    return Presets.config("tiny-olmo2").toBuilder()
        .vocabSize(97)
        .hiddenSize(32)
        .numHeads(4)
        .numKvHeads(2)
        .headDim(8)
        .intermediateSize(48)
        .maxPositions(64)
        .build();
  }

  @Test
  void baseAndLeftPaddedLogitsMatchTheOracle() {
    ModelConfig c = config();
    try (CausalLM model = Qwen3OracleTest.model(c, 31)) {
      DecoderOracle oracle = new DecoderOracle(c, model.parameters());
      double all =
          Qwen3OracleTest.compare(
              model, oracle, new long[][] {{1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1}});
      double padded = Qwen3OracleTest.compare(model, oracle, LEFT_PADDED);
      System.out.printf("olmo2 oracle: base %.3g, left-padded %.3g%n", all, padded);
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
      System.out.printf("olmo2 oracle: LoRA %.3g, merged %.3g%n", err, merged);
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
      System.out.printf("olmo2 KV cache vs full: %.3g%n", err);
      assertTrue(err < TOLERANCE, "cache error " + err);
    }
  }

  @Test
  void checkpointAndConfigRoundTrip(@TempDir Path dir) throws IOException {
    ModelConfig c = config();
    assertEquals(c, HfConfig.fromJson(HfConfig.toJson(c), new JsonObject()));
    assertEquals(
        "Olmo2ForCausalLM",
        HfConfig.toJson(c).getAsJsonArray("architectures").get(0).getAsString());
    try (CausalLM model = Qwen3OracleTest.model(c, 35)) {
      HfCheckpoint.save(model, dir);
      try (CausalLM back = HfCheckpoint.load(dir)) {
        assertEquals(c, back.config());
        assertEquals(
            List.of(4L * 8),
            List.of(back.parameters().get("model.layers.0.self_attn.q_norm.weight").size()));
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
          assertArrayEquals(
              e.getValue().toFloatArray(), back.parameters().get(e.getKey()).toFloatArray());
        }
      }
    }
  }

  @Test
  void otherResidualLayoutsAreRefused() {
    ModelConfig.Builder pre = config().toBuilder().residual(ResidualLayout.SEQUENTIAL);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, pre::build);
    assertTrue(e.getMessage().contains("residual must be one of them"), e.getMessage());
    ModelConfig.Builder llama =
        Presets.config("tiny-llama").toBuilder().residual(ResidualLayout.POST_NORM);
    assertThrows(IllegalArgumentException.class, llama::build);
  }
}
