package rlhf4j.policy.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;

/**
 * Phi-3 against {@link DecoderOracle} (plain loops from transformers' modeling_phi3.py; no
 * transformers is reachable here): fused qkv_proj with grouped-query sizes, fused gate_up_proj,
 * partial rotary, a sliding window in every layer, LoRA on the fused qkv_proj (PEFT-style).
 */
class Phi3OracleTest {
  private static final double TOLERANCE = 1e-5;
  private static final long[][] LEFT_PADDED = OracleRuns.LEFT_PADDED;

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
    try (CausalLM model = OracleRuns.model(c, 51)) {
      DecoderOracle oracle = new DecoderOracle(c, model.parameters());
      double all = OracleRuns.compare(model, oracle, OracleRuns.ALL);
      double padded = OracleRuns.compare(model, oracle, LEFT_PADDED);
      System.out.printf("phi3 oracle: base %.3g, left-padded %.3g%n", all, padded);
      assertTrue(all < TOLERANCE, "base error " + all);
      assertTrue(padded < TOLERANCE, "padded error " + padded);
    }
  }

  @Test
  void loraAndMergedLogitsMatchTheOracle() {
    double[] errors = OracleRuns.loraAndMergedErrors(config(), 32, 33, LEFT_PADDED);
    double err = errors[0];
    double merged = errors[1];
    System.out.printf("phi3 oracle: LoRA %.3g, merged %.3g%n", err, merged);
    assertTrue(err < TOLERANCE, "LoRA error " + err);
    assertTrue(merged < TOLERANCE, "merged error " + merged);
  }

  @Test
  void kvCacheEqualsFullRecomputation() {
    try (CausalLM model = OracleRuns.model(config(), 34);
        NDManager m = NDManager.newBaseManager()) {
      long[][] ids = OracleRuns.IDS;
      double err = OracleRuns.cacheVersusFull(model, m, ids, LEFT_PADDED, 3);
      System.out.printf("phi3 KV cache vs full: %.3g%n", err);
      assertTrue(err < TOLERANCE, "cache error " + err);
    }
  }

  @Test
  void checkpointAndConfigRoundTrip(@TempDir Path dir) throws IOException {
    ModelConfig c = config();
    assertEquals(
        "Phi3ForCausalLM", HfConfig.toJson(c).getAsJsonArray("architectures").get(0).getAsString());
    OracleRuns.assertRoundTrips(c, 35, dir);
    try (CausalLM back = HfCheckpoint.load(dir)) {
      NDArray qkv = back.parameters().get("model.layers.0.self_attn.qkv_proj.weight");
      assertEquals(
          List.of((4L + 2 * 2) * 8, 32L), List.of(qkv.getShape().get(0), qkv.getShape().get(1)));
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
