package rlhf4j.policy.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.TokenLogProbs;

/**
 * Gemma 3's {@code query_pre_attn_scalar} and logit soft-capping against {@link DecoderOracle}
 * (plain loops from transformers' modeling_gemma3.py): {@code Gemma3Attention.__init__} scales
 * scores by {@code query_pre_attn_scalar**-0.5} (Gemma 3 27B: 168 with head_dim 128); {@code
 * Gemma3ForCausalLM.forward} caps logits {@code logits / cap; tanh; * cap}; {@code
 * Gemma3Attention.forward} passes no {@code softcap}, so {@code attn_logit_softcapping} changes
 * nothing.
 */
class Gemma3ScalingOracleTest {
  private static final double TOLERANCE = 1e-5;
  private static final long[][] IDS = OracleRuns.IDS;
  private static final long[][] LEFT_PADDED = OracleRuns.LEFT_PADDED;

  /** The tiny Gemma 3 (head_dim 16) with queries scaled like 27B's 168 against 128. */
  static ModelConfig scaled() {
    return Gemma3OracleTest.config().toBuilder().queryPreAttnScalar(21).build(); // 16 · 168/128
  }

  @Test
  void queryPreAttnScalarScalesScoresLikeTransformers() {
    ModelConfig c = scaled();
    try (CausalLM model = OracleRuns.model(c, 61);
        CausalLM plain = OracleRuns.model(Gemma3OracleTest.config(), 61);
        NDManager m = NDManager.newBaseManager()) {
      DecoderOracle oracle = new DecoderOracle(c, model.parameters());
      double padded = OracleRuns.compare(model, oracle, LEFT_PADDED);
      double cache = OracleRuns.cacheVersusFull(model, m, IDS, LEFT_PADDED, 2);
      System.out.printf("gemma3 query_pre_attn_scalar: oracle %.3g, cache %.3g%n", padded, cache);
      assertTrue(padded < TOLERANCE, "oracle error " + padded);
      assertTrue(cache < TOLERANCE, "cache error " + cache);
      double moved = OracleRuns.compare(plain, oracle, LEFT_PADDED);
      assertTrue(moved > 1e-3, "the scalar must change the logits, moved only " + moved);
    }
  }

  @Test
  void finalLogitSoftcapCapsEveryLogitPath() {
    ModelConfig c =
        Gemma3OracleTest.config().toBuilder()
            .finalLogitSoftcap(0.8)
            .build(); // binds: raw |logits| reach 1.4
    try (CausalLM model = OracleRuns.model(c, 62);
        NDManager m = NDManager.newBaseManager()) {
      DecoderOracle oracle = new DecoderOracle(c, model.parameters());
      double padded = OracleRuns.compare(model, oracle, LEFT_PADDED);
      double cache = OracleRuns.cacheVersusFull(model, m, IDS, LEFT_PADDED, 2);
      System.out.printf("gemma3 final softcap: oracle %.3g, cache %.3g%n", padded, cache);
      assertTrue(padded < TOLERANCE, "oracle error " + padded);
      assertTrue(cache < TOLERANCE, "cache error " + cache);
      NDArray ids = OracleRuns.ids(m, IDS);
      NDArray mask = OracleRuns.ids(m, LEFT_PADDED);
      CausalLM.Output full = model.forward(ids, mask);
      float[] logits = full.logits().toFloatArray();
      double max = 0;
      for (float v : logits) {
        max = Math.max(max, Math.abs(v));
      }
      assertTrue(max < 0.8 && max > 0.6, "logits are capped at 0.8 and reach near it: " + max);
      // the trainers' passes: hidden → logits, and the response slice with its log-probs
      assertArrayEquals(logits, model.logits(full.hidden(), false).toFloatArray(), 1e-6f);
      NDArray response = model.forwardResponse(ids, mask, 5, false).logits(); // (B, 3, V)
      NDArray expected = full.logits().get(new NDIndex(":, 4:7, :"));
      assertArrayEquals(expected.toFloatArray(), response.toFloatArray(), 1e-5f);
      NDArray next = ids.get(new NDIndex(":, 5:"));
      assertArrayEquals(
          TokenLogProbs.gather(expected, next, 1.0).toFloatArray(),
          TokenLogProbs.gather(response, next, 1.0).toFloatArray(),
          1e-5f);
    }
  }

  @Test
  void attnLogitSoftcappingIsKeptButNotAppliedAsInTransformers() {
    ModelConfig c = Gemma3OracleTest.config().toBuilder().attnLogitSoftcap(0.5).build();
    try (CausalLM capped = OracleRuns.model(c, 63);
        CausalLM plain = OracleRuns.model(Gemma3OracleTest.config(), 63);
        NDManager m = NDManager.newBaseManager()) {
      NDArray ids = OracleRuns.ids(m, IDS);
      assertArrayEquals(
          plain.forward(ids, null).logits().toFloatArray(),
          capped.forward(ids, null).logits().toFloatArray());
      JsonObject json = HfConfig.toJson(c);
      assertEquals(0.5, json.get("attn_logit_softcapping").getAsDouble());
      assertEquals(c, HfConfig.fromJson(json, new JsonObject()));
    }
  }

  @Test
  void scalarAndCapsRoundTripThroughConfigJsonAndCheckpoints(@TempDir Path dir) throws IOException {
    ModelConfig c = scaled().toBuilder().finalLogitSoftcap(30).attnLogitSoftcap(50).build();
    JsonObject json = HfConfig.toJson(c);
    assertEquals("21", json.get("query_pre_attn_scalar").toString());
    assertEquals(30.0, json.get("final_logit_softcapping").getAsDouble());
    assertEquals(50.0, json.get("attn_logit_softcapping").getAsDouble());
    assertEquals(c, HfConfig.fromJson(json, new JsonObject()));
    JsonObject plain = HfConfig.toJson(Gemma3OracleTest.config());
    assertEquals(16, plain.get("query_pre_attn_scalar").getAsInt()); // head_dim, as before
    assertEquals(JsonNull.INSTANCE, plain.get("final_logit_softcapping"));
    try (CausalLM model = OracleRuns.model(c, 64);
        NDManager m = NDManager.newBaseManager()) {
      HfCheckpoint.save(model, dir);
      try (CausalLM back = HfCheckpoint.load(dir)) {
        assertEquals(c, back.config());
        NDArray ids = OracleRuns.ids(m, IDS);
        assertArrayEquals(
            model.forward(ids, null).logits().toFloatArray(),
            back.forward(ids, null).logits().toFloatArray());
      }
    }
  }

  @Test
  void gemma3TwentySevenBConfigReadsItsScalar() {
    // google/gemma-3-27b-it text_config: head_dim 128, query_pre_attn_scalar 168, caps null
    JsonObject j = HfConfig.toJson(Gemma3OracleTest.config());
    j.addProperty("head_dim", 128);
    j.addProperty("query_pre_attn_scalar", 168);
    j.add("final_logit_softcapping", JsonNull.INSTANCE);
    j.add("attn_logit_softcapping", JsonNull.INSTANCE);
    ModelConfig c = HfConfig.fromJson(j, new JsonObject());
    assertEquals(168.0, c.queryPreAttnScalar());
    assertEquals(1 / Math.sqrt(168), c.attentionScale(), 1e-15);
    assertEquals(0.0, c.finalLogitSoftcap());
    assertEquals(168, HfConfig.toJson(c).get("query_pre_attn_scalar").getAsInt());
    j.remove("query_pre_attn_scalar"); // Gemma3TextConfig's default is 256, not head_dim
    assertEquals(256.0, HfConfig.fromJson(j, new JsonObject()).queryPreAttnScalar());
  }

  @Test
  void badScalarsAndCapsAreRefusedByName() {
    for (String field :
        new String[] {
          "query_pre_attn_scalar", "final_logit_softcapping", "attn_logit_softcapping"
        }) {
      for (double bad : new double[] {0, -3}) {
        JsonObject j = HfConfig.toJson(Gemma3OracleTest.config());
        j.addProperty(field, bad);
        IllegalArgumentException e =
            assertThrows(
                IllegalArgumentException.class, () -> HfConfig.fromJson(j, new JsonObject()));
        assertTrue(e.getMessage().contains(field + " must be a number > 0"), e.getMessage());
      }
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Gemma3OracleTest.config().toBuilder().finalLogitSoftcap(-1).build());
    assertTrue(e.getMessage().contains("finalLogitSoftcap"), e.getMessage());
    IllegalArgumentException llama =
        assertThrows(
            IllegalArgumentException.class,
            () -> Presets.config("tiny-llama").toBuilder().finalLogitSoftcap(30).build());
    assertTrue(llama.getMessage().contains("finalLogitSoftcap must be 0"), llama.getMessage());
  }
}
