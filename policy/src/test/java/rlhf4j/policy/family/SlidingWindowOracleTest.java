package rlhf4j.policy.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.model.AttentionType;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;

/**
 * Sliding-window attention (Mistral's {@code sliding_window}, Qwen2/Qwen3's {@code
 * use_sliding_window} + {@code max_window_layers}) against {@link DecoderOracle}, which applies
 * HF's {@code sliding_window_overlay} (masking_utils.py: {@code kv_idx > q_idx - sliding_window}).
 */
class SlidingWindowOracleTest {
  private static final double TOLERANCE = 1e-5;
  private static final long[][] LEFT_PADDED = {{1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 1, 1, 1, 1, 1, 1}};

  private static ModelConfig mistral(int window) {
    return ModelConfig.builder(Architectures.LLAMA)
        .modelType("mistral")
        .vocabSize(97)
        .hiddenSize(32)
        .numLayers(2)
        .numHeads(4)
        .numKvHeads(2)
        .intermediateSize(48)
        .maxPositions(64)
        .slidingWindow(window)
        .layerTypes(Collections.nCopies(2, AttentionType.SLIDING))
        .build();
  }

  @Test
  void mistralWindowMatchesTheOracleAndDiffersFromFullAttention() {
    ModelConfig c = mistral(3);
    try (CausalLM model = OracleRuns.model(c, 21)) {
      double err = OracleRuns.compare(model, new DecoderOracle(c, model.parameters()), LEFT_PADDED);
      System.out.printf("mistral window 3 oracle: max |logit err| %.3g%n", err);
      assertTrue(err < TOLERANCE, "max abs error " + err);
      ModelConfig full = c.toBuilder().slidingWindow(0).layerTypes(List.of()).build();
      double gap =
          OracleRuns.compare(model, new DecoderOracle(full, model.parameters()), LEFT_PADDED);
      assertTrue(gap > 1e-3, "a window of 3 must change the logits, gap " + gap);
    }
  }

  @Test
  void qwen3SlidingLayersFromMaxWindowLayersMatchTheOracle() {
    JsonObject json = HfConfig.toJson(Qwen3OracleTest.config(true));
    json.addProperty("use_sliding_window", true);
    json.addProperty("sliding_window", 4);
    json.addProperty("max_window_layers", 1);
    json.remove("layer_types");
    ModelConfig c = HfConfig.fromJson(json, new JsonObject());
    assertEquals(List.of(AttentionType.FULL, AttentionType.SLIDING), c.layerTypes());
    assertEquals(4, c.slidingWindow());
    try (CausalLM model = OracleRuns.model(c, 22)) {
      double err = OracleRuns.compare(model, new DecoderOracle(c, model.parameters()), LEFT_PADDED);
      System.out.printf("qwen3 sliding layer oracle: max |logit err| %.3g%n", err);
      assertTrue(err < TOLERANCE, "max abs error " + err);
    }
  }

  @Test
  void kvCacheWithAWindowEqualsFullRecomputation() {
    ModelConfig c = mistral(3);
    try (CausalLM model = OracleRuns.model(c, 23);
        NDManager m = NDManager.newBaseManager()) {
      long[][] ids = {{3, 50, 7, 96, 12, 0, 41, 77}, {9, 9, 1, 64, 33, 8, 2, 90}};
      double err = OracleRuns.cacheVersusFull(model, m, ids, LEFT_PADDED, 2);
      System.out.printf("mistral window 3 KV cache vs full: max |logit err| %.3g%n", err);
      assertTrue(err < TOLERANCE, "cache max abs error " + err);
    }
  }

  @Test
  void hfConfigsReadTheirWindows() {
    ModelConfig m = mistral(3);
    JsonObject json = HfConfig.toJson(m);
    assertEquals(3, json.get("sliding_window").getAsInt());
    assertEquals(m, HfConfig.fromJson(json, new JsonObject()));
    json.remove("sliding_window"); // MistralConfig's default: 4096
    assertEquals(4096, HfConfig.fromJson(json, new JsonObject()).slidingWindow());
    json.add("sliding_window", com.google.gson.JsonNull.INSTANCE);
    assertTrue(!HfConfig.fromJson(json, new JsonObject()).hasSlidingLayers());
    // qwen2 with use_sliding_window false ignores sliding_window, as Qwen2Config does
    JsonObject qwen2 = new JsonObject();
    qwen2.addProperty("model_type", "qwen2");
    qwen2.addProperty("vocab_size", 64);
    qwen2.addProperty("hidden_size", 32);
    qwen2.addProperty("num_hidden_layers", 2);
    qwen2.addProperty("num_attention_heads", 4);
    qwen2.addProperty("intermediate_size", 48);
    qwen2.addProperty("sliding_window", 4);
    assertTrue(!HfConfig.fromJson(qwen2, new JsonObject()).hasSlidingLayers());
    qwen2.addProperty("use_sliding_window", true);
    qwen2.addProperty("max_window_layers", 0);
    ModelConfig q = HfConfig.fromJson(qwen2, new JsonObject());
    assertEquals(List.of(AttentionType.SLIDING, AttentionType.SLIDING), q.layerTypes());
    assertEquals(q, HfConfig.fromJson(HfConfig.toJson(q), new JsonObject()));
  }

  @Test
  void familiesWithoutWindowsRefuseSlidingLayers() {
    ModelConfig.Builder llama = mistral(3).toBuilder().modelType("llama");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, llama::build);
    assertTrue(e.getMessage().contains("llama has no sliding-window attention"), e.getMessage());
    ModelConfig.Builder neox =
        Presets.config("tiny-neox").toBuilder()
            .slidingWindow(4)
            .layerTypes(Collections.nCopies(2, AttentionType.SLIDING));
    e = assertThrows(IllegalArgumentException.class, neox::build);
    assertTrue(e.getMessage().contains("gpt_neox has no sliding-window"), e.getMessage());
    ModelConfig.Builder noWindow = mistral(3).toBuilder().slidingWindow(0);
    e = assertThrows(IllegalArgumentException.class, noWindow::build);
    assertTrue(e.getMessage().contains("slidingWindow must be > 0"), e.getMessage());
  }
}
