package rlhf4j.policy.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.KvCache;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.RopeScaling;

/**
 * Phi-3 LongRoPE against {@link DecoderOracle} (plain loops from transformers'
 * modeling_rope_utils.py {@code _compute_longrope_parameters} and {@code
 * longrope_frequency_update}, modeling_phi3.py {@code
 * Phi3ForCausalLM.prepare_inputs_for_generation}; no transformers is reachable here), on a tiny
 * model whose original length is 8 positions: short factors up to 8, long ones beyond, decided by
 * the batch's longest row; cos/sin times sqrt(1 + ln(64/8) / ln 8) = sqrt(2); a cached generation
 * that crosses 8 equals recomputing every step.
 */
class Phi3LongRopeOracleTest {
  private static final double TOLERANCE = 1e-5;
  private static final List<Double> SHORT = List.of(1.0, 1.3, 2.1, 4.0);
  private static final List<Double> LONG = List.of(1.5, 3.0, 7.0, 20.0);
  private static final long[][] IDS = {
    {3, 50, 7, 96, 12, 0, 41, 77, 5, 18, 60, 2}, {9, 9, 1, 64, 33, 8, 2, 90, 11, 70, 4, 39}
  };
  private static final long[][] LEFT_PADDED = {
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}
  };

  /** tiny Phi-3, partial rotary over 8 of 16 dims (4 frequencies), trained length 8 of 64. */
  static ModelConfig config() {
    return Phi3OracleTest.config().toBuilder()
        .hiddenSize(64)
        .headDim(16)
        .ropeScaling(RopeScaling.longRope(SHORT, LONG, 8, 0, 0))
        .build();
  }

  @Test
  void logitsMatchTheOracleOnBothSidesOfTheOriginalLength() {
    ModelConfig c = config();
    try (CausalLM model = OracleRuns.model(c, 71);
        NDManager m = NDManager.newBaseManager()) {
      DecoderOracle oracle = new DecoderOracle(c, model.parameters());
      for (int width : new int[] {6, 8, 9, 12}) {
        double err = compare(model, oracle, m, width);
        System.out.printf("phi3 longrope oracle, %d positions: %.3g%n", width, err);
        assertTrue(err < TOLERANCE, width + " positions: error " + err);
      }
    }
  }

  @Test
  void theFactorsAndTheAttentionFactorMatter() {
    ModelConfig c = config();
    ModelConfig plain = Phi3OracleTest.config().toBuilder().hiddenSize(64).headDim(16).build();
    try (CausalLM model = OracleRuns.model(c, 72);
        CausalLM unscaled = OracleRuns.model(plain, 72);
        NDManager m = NDManager.newBaseManager()) {
      DecoderOracle oracle = new DecoderOracle(c, model.parameters());
      assertTrue(compare(unscaled, oracle, m, 6) > 1e-3, "short factors and sqrt(2) matter");
      // 12 positions with the short factors (the oracle told that the batch is 8 long) differ
      float[] actual = forward(model, m, 12);
      double[][][] shortOnly = new double[2][][];
      for (int b = 0; b < 2; b++) {
        shortOnly[b] = oracle.logits(IDS[b], LEFT_PADDED[b], 8);
      }
      assertTrue(DecoderOracle.maxAbsDiff(shortOnly, actual, 12, c.vocabSize()) > 1e-3);
    }
    assertEquals(Math.sqrt(2), config().ropeScaling().longRopeAttentionFactor(64), 1e-12);
  }

  @Test
  void kvCacheCrossingTheOriginalLengthEqualsRecomputingEveryStep() {
    try (CausalLM model = OracleRuns.model(config(), 73);
        NDManager m = NDManager.newBaseManager()) {
      for (int prompt : new int[] {3, 8, 10}) {
        double err = cacheVersusStepwiseFull(model, m, prompt);
        System.out.printf("phi3 longrope cache (prompt %d) vs recompute: %.3g%n", prompt, err);
        assertTrue(err < TOLERANCE, "prompt " + prompt + ": cache error " + err);
      }
    }
  }

  @Test
  void longRopeConfigRoundTripsThroughConfigJsonAndCheckpoints(@TempDir Path dir)
      throws IOException {
    ModelConfig c = config();
    JsonObject json = HfConfig.toJson(c);
    JsonObject rope = json.getAsJsonObject("rope_scaling");
    assertEquals("longrope", rope.get("type").getAsString()); // as Phi-3 checkpoints write it
    assertEquals(3, rope.size(), "type, short_factor, long_factor only: " + rope);
    assertEquals(4, rope.getAsJsonArray("long_factor").size());
    assertEquals(8, json.get("original_max_position_embeddings").getAsInt());
    assertEquals(c, HfConfig.fromJson(json, new JsonObject()));
    ModelConfig given =
        c.toBuilder().ropeScaling(RopeScaling.longRope(SHORT, LONG, 8, 4.0, 1.25)).build();
    assertEquals(given, HfConfig.fromJson(HfConfig.toJson(given), new JsonObject()));
    assertEquals(1.25, given.ropeScaling().longRopeAttentionFactor(64));
    OracleRuns.assertRoundTrips(c, 74, dir);
  }

  @Test
  void phi35MiniConfigReadsItsLongRope() {
    // microsoft/Phi-3.5-mini-instruct config.json: head_dim 96, 48 factors per list, old "type"
    JsonObject j = HfConfig.toJson(Phi3OracleTest.config());
    j.addProperty("hidden_size", 3072);
    j.addProperty("num_attention_heads", 32);
    j.addProperty("num_key_value_heads", 32);
    j.remove("head_dim");
    j.addProperty("partial_rotary_factor", 1.0);
    j.addProperty("max_position_embeddings", 131072);
    j.addProperty("original_max_position_embeddings", 4096);
    JsonObject rope = new JsonObject();
    rope.addProperty("type", "longrope");
    rope.add("short_factor", factors(48, 1.0));
    rope.add("long_factor", factors(48, 1.5));
    j.add("rope_scaling", rope);
    ModelConfig c = HfConfig.fromJson(j, new JsonObject());
    assertEquals(RopeScaling.Type.LONGROPE, c.ropeScaling().type());
    assertEquals(4096, c.ropeScaling().originalMaxPositions());
    // factor 131072 / 4096 = 32: sqrt(1 + ln 32 / ln 4096) = sqrt(1 + 5/12)
    assertEquals(Math.sqrt(17.0 / 12), c.ropeScaling().longRopeAttentionFactor(131072), 1e-12);
    rope.addProperty("type", "su"); // configuration_phi3.py maps su and yarn to longrope
    assertEquals(c, HfConfig.fromJson(j, new JsonObject()));
    j.remove("original_max_position_embeddings"); // transformers 5 keeps it in the rope object
    rope.addProperty("original_max_position_embeddings", 4096);
    assertEquals(c, HfConfig.fromJson(j, new JsonObject()));
  }

  @Test
  void badLongRopeConfigsAreRefusedByField() {
    assertRefused(r -> r.add("short_factor", factors(3, 1.0)), "rope_scaling.short_factor");
    assertRefused(r -> r.remove("long_factor"), "rope_scaling.long_factor");
    assertRefused(r -> r.add("long_factor", factors(4, -1.0)), "rope_scaling.long_factor[0]");
    assertRefused(r -> r.addProperty("attention_factor", -2), "attention_factor");
    JsonObject j = HfConfig.toJson(config());
    j.getAsJsonObject("rope_scaling").addProperty("original_max_position_embeddings", 8);
    j.addProperty("original_max_position_embeddings", 16);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> HfConfig.fromJson(j, new JsonObject()));
    assertTrue(e.getMessage().contains("original_max_position_embeddings is 16"), e.getMessage());
    JsonObject llama = HfConfig.toJson(Presets.config("tiny-llama"));
    llama.add("rope_scaling", HfConfig.toJson(config()).get("rope_scaling"));
    e =
        assertThrows(
            IllegalArgumentException.class, () -> HfConfig.fromJson(llama, new JsonObject()));
    assertTrue(e.getMessage().contains("phi3 only"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Presets.config("tiny-llama").toBuilder()
                    .ropeScaling(config().ropeScaling())
                    .build());
    assertTrue(e.getMessage().contains("phi3 only"), e.getMessage());
  }

  private static void assertRefused(java.util.function.Consumer<JsonObject> edit, String field) {
    JsonObject j = HfConfig.toJson(config());
    edit.accept(j.getAsJsonObject("rope_scaling"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> HfConfig.fromJson(j, new JsonObject()));
    assertTrue(e.getMessage().contains(field), e.getMessage());
  }

  private static JsonArray factors(int n, double v) {
    JsonArray a = new JsonArray();
    for (int i = 0; i < n; i++) {
      a.add(v + 0.01 * i);
    }
    return a;
  }

  /** Logits (flat B·W·V) of the first {@code width} positions of {@link #IDS}. */
  private static float[] forward(CausalLM model, NDManager m, int width) {
    NDIndex first = new NDIndex(":, :{}", width);
    NDArray ids = OracleRuns.ids(m, IDS).get(first);
    NDArray mask = OracleRuns.ids(m, LEFT_PADDED).get(first);
    return model.forward(ids, mask).logits().toFloatArray();
  }

  /** Max error against the oracle over the first {@code width} positions of the batch. */
  private static double compare(CausalLM model, DecoderOracle oracle, NDManager m, int width) {
    double[][][] expected = new double[2][][];
    long longest = 0;
    for (int b = 0; b < 2; b++) {
      longest = Math.max(longest, java.util.Arrays.stream(LEFT_PADDED[b], 0, width).sum());
    }
    for (int b = 0; b < 2; b++) {
      long[] ids = java.util.Arrays.copyOf(IDS[b], width);
      long[] mask = java.util.Arrays.copyOf(LEFT_PADDED[b], width);
      expected[b] = oracle.logits(ids, mask, longest);
    }
    return DecoderOracle.maxAbsDiff(
        expected, forward(model, m, width), width, model.config().vocabSize());
  }

  /**
   * Prefill {@code prompt} positions, then decode one at a time with a cache; each step's logits
   * against a full forward of the sequence so far (what transformers' generation computes).
   */
  private static double cacheVersusStepwiseFull(CausalLM model, NDManager m, int prompt) {
    int t = IDS[0].length;
    int v = model.config().vocabSize();
    NDArray ids = OracleRuns.ids(m, IDS);
    NDArray mask = OracleRuns.ids(m, LEFT_PADDED);
    double err = 0;
    try (KvCache cache = new KvCache(m, model.config(), 2, t)) {
      for (int end = prompt; end <= t; end++) {
        int from = end == prompt ? 0 : end - 1;
        NDArray step =
            model
                .forward(
                    ids.get(new NDIndex(":, {}:{}", from, end)),
                    mask.get(new NDIndex(":, :{}", end)),
                    cache,
                    false,
                    true)
                .logits()
                .get(new NDIndex(":, -1, :")); // (B, V)
        float[] cached = step.toFloatArray();
        float[] full = forward(model, m, end);
        for (int b = 0; b < 2; b++) {
          if (LEFT_PADDED[b][end - 1] == 0) {
            continue; // a padded query's logits mean nothing
          }
          for (int k = 0; k < v; k++) {
            float expected = full[(b * end + end - 1) * v + k];
            err = Math.max(err, Math.abs(cached[b * v + k] - expected));
          }
        }
      }
    }
    return err;
  }
}
