package rlhf4j.policy.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.hf.HfConfig;
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
  private static final long[][] ALL = OracleRuns.ALL;
  private static final long[][] LEFT_PADDED = OracleRuns.LEFT_PADDED;

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
    try (CausalLM model = OracleRuns.model(c, 41)) {
      DecoderOracle oracle = new DecoderOracle(c, model.parameters());
      double all = OracleRuns.compare(model, oracle, ALL);
      double padded = OracleRuns.compare(model, oracle, LEFT_PADDED);
      System.out.printf("gemma3 oracle: base %.3g, left-padded %.3g%n", all, padded);
      assertTrue(all < TOLERANCE, "base error " + all);
      assertTrue(padded < TOLERANCE, "padded error " + padded);
    }
  }

  @Test
  void loraAndMergedLogitsMatchTheOracle() {
    double[] errors = OracleRuns.loraAndMergedErrors(config(), 42, 43, LEFT_PADDED);
    double err = errors[0];
    double merged = errors[1];
    System.out.printf("gemma3 oracle: LoRA %.3g, merged %.3g%n", err, merged);
    assertTrue(err < TOLERANCE, "LoRA error " + err);
    assertTrue(merged < TOLERANCE, "merged error " + merged);
  }

  @Test
  void kvCacheEqualsFullRecomputation() {
    try (CausalLM model = OracleRuns.model(config(), 44);
        NDManager m = NDManager.newBaseManager()) {
      long[][] ids = OracleRuns.IDS;
      double err = OracleRuns.cacheVersusFull(model, m, ids, LEFT_PADDED, 2);
      System.out.printf("gemma3 KV cache vs full: %.3g%n", err);
      assertTrue(err < TOLERANCE, "cache error " + err);
    }
  }

  @Test
  void checkpointAndConfigRoundTrip(@TempDir Path dir) throws IOException {
    ModelConfig c = config();
    assertEquals("gemma3_text", HfConfig.toJson(c).get("model_type").getAsString());
    OracleRuns.assertRoundTrips(c, 45, dir);
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
