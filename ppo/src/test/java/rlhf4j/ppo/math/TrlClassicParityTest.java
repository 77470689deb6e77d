package rlhf4j.ppo.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.model.Masked;
import rlhf4j.ppo.AdaptiveKlController;

/**
 * Parity with TRL 0.7.11's classic {@code PPOTrainer} on {@code fixtures/hf/ppo/trl-classic-step.*}
 * (2 rows x 5 positions, float32): rewards, GAE, loss, diagnostics and the adaptive KL update.
 */
class TrlClassicParityTest {

  private static final double TOL = 1e-5;
  private static final Map<String, Double> MAX_ERRORS = new LinkedHashMap<>();

  private NDManager manager;
  private JsonObject in;
  private JsonObject out;
  private JsonObject config;

  @BeforeEach
  void load() throws IOException {
    manager = NDManager.newBaseManager();
    in = readJson("/fixtures/hf/ppo/trl-classic-step.in.json");
    out = readJson("/fixtures/hf/ppo/trl-classic-step.out.json");
    config = in.getAsJsonObject("config");
  }

  @AfterEach
  void close() {
    manager.close();
  }

  @AfterAll
  static void printErrors() {
    StringBuilder sb = new StringBuilder("TRL classic parity, max abs error per quantity:");
    MAX_ERRORS.forEach((k, v) -> sb.append(String.format("%n  %-28s %.3e", k, v)));
    System.out.println(sb);
  }

  @Test
  void rewardsMatchTrlComputeRewards() {
    Rewards.Result r = rewards();
    assertClose("kls", out.get("kls"), r.kls());
    assertClose("non_score_rewards", out.get("non_score_rewards"), r.nonScoreRewards());
    assertClose("rewards", out.get("rewards"), r.rewards());
  }

  @Test
  void advantagesAndReturnsMatchTrlComputeAdvantages() {
    Gae.Result gae = gae(rewards());
    assertClose("values", out.get("values"), gae.values());
    assertClose("advantages", out.get("advantages"), gae.advantages());
    assertClose("returns", out.get("returns"), gae.returns());
  }

  @Test
  void lossAndDiagnosticsMatchTrlLoss() {
    Gae.Result gae = gae(rewards());
    PpoLoss.Result loss = loss(gae);
    double vfCoef = config.get("vf_coef").getAsDouble();
    assertFalse(loss.skipped());
    assertClose("pg_loss", out.get("pg_loss"), loss.pgLoss());
    assertClose(
        "vf_loss_scaled",
        out.get("vf_loss_scaled").getAsDouble(),
        Masked.scalar(loss.vfLoss()) * vfCoef);
    assertClose("total_loss", out.get("total_loss"), loss.loss());
    JsonObject expected = out.getAsJsonObject("loss_stats");
    assertClose("policy/ratio", expected.get("policy/ratio"), loss.ratio());

    NDArray entropy = Entropy.fromLogits(array(in.get("logits"))); // (B, T)
    Map<String, Double> stats =
        PpoStats.minibatch(
            loss,
            entropy,
            gae.advantages(),
            gae.returns(),
            gae.values(),
            array(in.get("vpreds")),
            array(in.get("masks")));
    for (Map.Entry<String, Double> e : stats.entrySet()) {
      assertClose("loss_stats " + e.getKey(), expected.get(e.getKey()).getAsDouble(), e.getValue());
    }
  }

  @Test
  void stepStatsAndAdaptiveKlCoefficientMatchTrl() {
    Rewards.Result r = rewards();
    Gae.Result gae = gae(r);
    JsonObject expected = out.getAsJsonObject("step_stats");
    double klCoef = config.get("init_kl_coef").getAsDouble();
    Map<String, Double> stats =
        PpoStats.step(
            r.kls(),
            array(in.get("logprobs")),
            r.nonScoreRewards(),
            array(in.get("scores")),
            array(in.get("masks")),
            klCoef);
    for (Map.Entry<String, Double> e : stats.entrySet()) {
      assertClose("step_stats " + e.getKey(), expected.get(e.getKey()).getAsDouble(), e.getValue());
    }

    Map<String, Double> mb =
        PpoStats.minibatch(
            loss(gae),
            Entropy.fromLogits(array(in.get("logits"))),
            gae.advantages(),
            gae.returns(),
            gae.values(),
            array(in.get("vpreds")),
            array(in.get("masks")));
    assertClose(
        "step_stats ppo/val/var_explained",
        expected.getAsJsonArray("ppo/val/var_explained").get(0).getAsDouble(),
        PpoStats.varExplained(mb.get("val/error"), mb.get("returns/var")));

    AdaptiveKlController ctl =
        new AdaptiveKlController(
            klCoef, config.get("target").getAsDouble(), config.get("horizon").getAsDouble());
    assertClose("kl_coef_before", out.get("kl_coef_before").getAsDouble(), ctl.value());
    long batchSize = out.getAsJsonObject("config").get("batch_size").getAsLong();
    ctl.update(stats.get("objective/kl"), batchSize);
    assertClose("kl_coef_after", out.get("kl_coef_after").getAsDouble(), ctl.value());
  }

  @Test
  void tokenLogProbsAndEntropyMatchTrlCore() {
    NDArray logits = array(in.get("token_logits")); // (1, 2, 3)
    NDArray labels = array(in.get("token_labels")); // (1, 2)
    assertClose(
        "token_logprobs",
        out.get("token_logprobs"),
        rlhf4j.policy.model.TokenLogProbs.gather(logits, labels, 1.0));
    assertClose("token_entropy", out.get("token_entropy"), Entropy.fromLogits(logits));
  }

  private Rewards.Result rewards() {
    return Rewards.compute(
        array(in.get("scores")),
        array(in.get("logprobs")),
        array(in.get("ref_logprobs")),
        array(in.get("masks")),
        config.get("init_kl_coef").getAsDouble(),
        KlPenalty.valueOf(config.get("kl_penalty").getAsString().toUpperCase()));
  }

  private Gae.Result gae(Rewards.Result r) {
    return Gae.compute(
        array(in.get("values")),
        r.rewards(),
        array(in.get("masks")),
        config.get("gamma").getAsDouble(),
        config.get("lam").getAsDouble(),
        config.get("whiten_rewards").getAsBoolean());
  }

  private PpoLoss.Result loss(Gae.Result gae) {
    PpoLoss.Settings settings =
        new PpoLoss.Settings(
            config.get("cliprange").getAsDouble(),
            config.get("cliprange_value").getAsDouble(),
            config.get("vf_coef").getAsDouble(),
            config.get("ratio_threshold").getAsDouble());
    return PpoLoss.compute(
        array(in.get("new_logprobs")),
        array(in.get("logprobs")),
        array(in.get("vpreds")),
        gae.values(),
        gae.advantages(),
        gae.returns(),
        array(in.get("masks")),
        settings);
  }

  // ---- helpers ----

  private static JsonObject readJson(String resource) throws IOException {
    try (InputStream is = TrlClassicParityTest.class.getResourceAsStream(resource)) {
      if (is == null) {
        throw new IOException("missing test resource " + resource);
      }
      try (Reader r = new InputStreamReader(is, StandardCharsets.UTF_8)) {
        return JsonParser.parseReader(r).getAsJsonObject();
      }
    }
  }

  /** A nested JSON number array as a float32 NDArray. */
  private NDArray array(JsonElement json) {
    List<Long> shape = new ArrayList<>();
    JsonElement e = json;
    while (e.isJsonArray()) {
      shape.add((long) e.getAsJsonArray().size());
      e = e.getAsJsonArray().get(0);
    }
    List<Float> flat = new ArrayList<>();
    flatten(json, flat);
    float[] data = new float[flat.size()];
    for (int i = 0; i < data.length; i++) {
      data[i] = flat.get(i);
    }
    return manager.create(data, new Shape(shape.stream().mapToLong(Long::longValue).toArray()));
  }

  private static void flatten(JsonElement json, List<Float> flat) {
    if (json.isJsonArray()) {
      for (JsonElement c : (JsonArray) json) {
        flatten(c, flat);
      }
    } else {
      flat.add(json.getAsFloat());
    }
  }

  private void assertClose(String name, JsonElement expected, NDArray actual) {
    NDArray exp = array(expected);
    if (!exp.getShape().equals(actual.getShape())) {
      throw new AssertionError(name + ": shape " + actual.getShape() + " != " + exp.getShape());
    }
    double err =
        exp.toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
            .sub(actual.toType(ai.djl.ndarray.types.DataType.FLOAT64, false))
            .abs()
            .max()
            .getDouble();
    record(name, err);
  }

  private static void assertClose(String name, double expected, double actual) {
    record(name, Math.abs(expected - actual));
  }

  private static void record(String name, double err) {
    MAX_ERRORS.merge(name, err, Math::max);
    assertEquals(0, err, TOL, name + " differs from TRL by " + err);
  }
}
