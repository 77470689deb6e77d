package rlhf4j.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rlhf4j.distributed.SparkRolloutSourceTest.prompts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.distributed.SparkRolloutSourceTest.Driver;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.ppo.GradientSource;
import rlhf4j.ppo.MiniBatchBackward;
import rlhf4j.ppo.MiniBatchUpdate;
import rlhf4j.ppo.PolicyTrainer;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.ppo.grpo.GrpoConfig;
import rlhf4j.ppo.grpo.GrpoLossType;
import rlhf4j.ppo.grpo.GrpoTrainer;
import rlhf4j.ppo.rloo.RlooConfig;
import rlhf4j.ppo.rloo.RlooTrainer;
import rlhf4j.reference.AdapterSwitchingReference;

/**
 * The data-parallel GRPO update on {@code local[2]}: executors compute the adapter's gradients of
 * their mini-batches, the driver sums them, clips and steps; two GRPO steps reach the adapter the
 * single-process update reaches (lora_dropout 0), and the metrics report the bytes per update.
 */
@Timeout(240)
class SparkGradientSourceTest {
  static final int G = 2;

  @TempDir static Path tmp;
  static JavaSparkContext spark;

  @BeforeAll
  static void start() throws IOException {
    SparkRolloutSourceTest.tmp = tmp;
    SparkRolloutSourceTest.modelDir = tmp.resolve("nano");
    try (CausalLM m = Presets.create("nano", 1)) {
      HfCheckpoint.save(m, SparkRolloutSourceTest.modelDir);
    }
    spark = new JavaSparkContext(SparkRolloutSource.conf("local[2]"));
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    ExecutorPolicy.clearAll();
  }

  /** Two prompts of G completions, one row per mini-batch: 4 backwards per optimizer step. */
  static final RunConfig RUN = RunConfig.builder().batchSize(2).miniBatchSize(1).seed(5).build();

  static GrpoConfig grpo(GrpoLossType lossType) {
    return GrpoConfig.builder()
        .numGenerations(G)
        .numIterations(2)
        .beta(0.04)
        .lossType(lossType)
        .learningRate(1e-2)
        .maxCompletionLength(SparkRolloutSourceTest.GENERATION.maxNewTokens())
        .build();
  }

  interface GradientsOf {
    GradientSource of(Driver d);
  }

  /** Two GRPO steps with local rollouts; the update inline or in {@code gradients}. */
  static Map<String, float[]> train(
      GrpoConfig config, GradientsOf gradients, List<Map<String, Double>> stats) {
    try (Driver d = new Driver()) {
      TrainerSetup setup =
          TrainerSetup.builder()
              .model(d.model)
              .trainable(d.policy.trainableParameters())
              .reference(new AdapterSwitchingReference(d.policy))
              .rolloutSource(SparkGroupedRolloutsTest.local(d))
              .gradientSource(gradients == null ? null : gradients.of(d))
              .listener((step, s) -> stats.add(s));
      try (PolicyTrainer t = new GrpoTrainer(setup, config, RUN)) {
        ((GrpoTrainer) t)
            .train(prompts(3, 20), SparkGroupedRolloutsTest.localFuncs().subList(0, 1), 2, null);
        return SparkRolloutSourceTest.values(t.trainableParameters());
      }
    }
  }

  static SparkGradientSource spark(Driver d) {
    return new SparkGradientSource(
        spark, new BaseModelSpec(SparkRolloutSourceTest.modelDir.toString()), d.policy, 2);
  }

  @Test
  void dataParallelGrpoUpdateEqualsTheSingleProcessUpdate() throws IOException {
    for (GrpoLossType type : new GrpoLossType[] {GrpoLossType.GRPO, GrpoLossType.DAPO}) {
      List<Map<String, Double>> localStats = new ArrayList<>();
      List<Map<String, Double>> sparkStats = new ArrayList<>();
      Map<String, float[]> local = train(grpo(type), null, localStats);
      Map<String, float[]> remote = train(grpo(type), SparkGradientSourceTest::spark, sparkStats);
      assertEquals(local.keySet(), remote.keySet());
      double moved = 0;
      try (Driver d = new Driver()) {
        Map<String, float[]> start = SparkRolloutSourceTest.values(d.policy.trainableParameters());
        for (String k : local.keySet()) {
          for (int i = 0; i < local.get(k).length; i++) {
            assertEquals(local.get(k)[i], remote.get(k)[i], 1e-5, type + " " + k + "[" + i + "]");
            moved = Math.max(moved, Math.abs(start.get(k)[i] - remote.get(k)[i]));
          }
        }
        assertTrue(moved > 1e-3, "the two steps moved the adapter: largest change " + moved);
        long adapterBytes = SparkRolloutSourceTest.adapterBytes(d);
        long adapterFloats = 0;
        for (float[] v : start.values()) {
          adapterFloats += v.length;
        }
        for (int s = 0; s < 2; s++) {
          Map<String, Double> l = localStats.get(s);
          Map<String, Double> r = sparkStats.get(s);
          assertEquals(l.get("loss"), r.get("loss"), 1e-5, "loss of step " + s);
          assertEquals(l.get("grad_norm"), r.get("grad_norm"), 1e-5, "grad norm of step " + s);
          assertEquals(l.get("kl"), r.get("kl"), 1e-6, "kl of step " + s);
          assertEquals(2.0, r.get("distributed/update_tasks"));
          assertEquals((double) adapterBytes, r.get("distributed/update_broadcast_bytes"));
          double returned = r.get("distributed/update_returned_bytes");
          // two tasks, each the adapter's gradient as floats plus a small envelope
          assertTrue(
              returned >= 2 * 4 * adapterFloats && returned < 2 * (4 * adapterFloats + 4096),
              "returned " + returned + " bytes for " + adapterFloats + " adapter floats");
          assertTrue(r.get("distributed/update_task_bytes") > 0);
          assertTrue(!l.containsKey("distributed/update_tasks"), "inline: no Spark numbers");
        }
      }
    }
  }

  @Test
  void aNonFiniteLossOnAnExecutorStopsTheUpdateAsADivergence() {
    try (Driver d = new Driver();
        NDManager m = NDManager.newBaseManager()) {
      ResponseBatch batch =
          ResponseBatch.of(
              m,
              List.of(new long[] {1, 2}, new long[] {3}),
              List.of(new long[] {4, 5}, new long[] {6}),
              0);
      MiniBatchUpdate.PortableLoss nan =
          (rows, logProbs, logits) ->
              new MiniBatchUpdate.Loss(logProbs.sum().mul(Float.NaN), Map.of());
      Map<String, NDArray> trainable = d.policy.trainableParameters();
      DivergenceException e =
          assertThrows(
              DivergenceException.class,
              () ->
                  spark(d)
                      .accumulate(
                          trainable,
                          batch,
                          new MiniBatchBackward.Spec(1, 1.0, false, "GRPO"),
                          nan,
                          "step 1 (iteration 1)"));
      assertTrue(e.getMessage().contains("GRPO loss is NaN at step 1"), e.getMessage());
      assertTrue(e.getMessage().contains("on a Spark executor"), e.getMessage());
    }
  }

  @Test
  void otherAlgorithmsRefuseTheDataParallelUpdate() {
    try (Driver d = new Driver()) {
      TrainerSetup setup =
          TrainerSetup.builder()
              .model(d.model)
              .trainable(d.policy.trainableParameters())
              .reference(new AdapterSwitchingReference(d.policy))
              .gradientSource(spark(d));
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> new RlooTrainer(setup, RlooConfig.builder().numGenerations(G).build(), RUN));
      assertTrue(e.getMessage().contains("GRPO only"), e.getMessage());
    }
  }
}
