package rlhf4j.policy.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.ResidualLayout;

/**
 * OLMo 2 against {@link DecoderOracle} (plain loops from transformers' modeling_olmo2.py; no
 * transformers is reachable here): post-norm blocks, q/k norms over the whole projection.
 */
class Olmo2OracleTest {
  private static final double TOLERANCE = 1e-5;
  private static final long[][] LEFT_PADDED = OracleRuns.LEFT_PADDED;

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
    try (CausalLM model = OracleRuns.model(c, 31)) {
      DecoderOracle oracle = new DecoderOracle(c, model.parameters());
      double all = OracleRuns.compare(model, oracle, OracleRuns.ALL);
      double padded = OracleRuns.compare(model, oracle, LEFT_PADDED);
      System.out.printf("olmo2 oracle: base %.3g, left-padded %.3g%n", all, padded);
      assertTrue(all < TOLERANCE, "base error " + all);
      assertTrue(padded < TOLERANCE, "padded error " + padded);
    }
  }

  @Test
  void loraAndMergedLogitsMatchTheOracle() {
    double[] errors = OracleRuns.loraAndMergedErrors(config(), 32, 33, LEFT_PADDED);
    double err = errors[0];
    double merged = errors[1];
    System.out.printf("olmo2 oracle: LoRA %.3g, merged %.3g%n", err, merged);
    assertTrue(err < TOLERANCE, "LoRA error " + err);
    assertTrue(merged < TOLERANCE, "merged error " + merged);
  }

  @Test
  void kvCacheEqualsFullRecomputation() {
    try (CausalLM model = OracleRuns.model(config(), 34);
        NDManager m = NDManager.newBaseManager()) {
      long[][] ids = OracleRuns.IDS;
      double err = OracleRuns.cacheVersusFull(model, m, ids, LEFT_PADDED, 3);
      System.out.printf("olmo2 KV cache vs full: %.3g%n", err);
      assertTrue(err < TOLERANCE, "cache error " + err);
    }
  }

  @Test
  void checkpointAndConfigRoundTrip(@TempDir Path dir) throws IOException {
    ModelConfig c = config();
    assertEquals(
        "Olmo2ForCausalLM",
        HfConfig.toJson(c).getAsJsonArray("architectures").get(0).getAsString());
    OracleRuns.assertRoundTrips(c, 35, dir);
    try (CausalLM back = HfCheckpoint.load(dir)) {
      assertEquals(
          List.of(4L * 8),
          List.of(back.parameters().get("model.layers.0.self_attn.q_norm.weight").size()));
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
