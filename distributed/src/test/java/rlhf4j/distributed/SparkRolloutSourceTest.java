package rlhf4j.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.lora.AdapterConfigFile;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.ppo.PpoConfig;
import rlhf4j.ppo.PpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardException;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.LocalRolloutSource;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutSource;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * The Spark rollout source on {@code local[2,2]} (two cores, a failed task retried once) against
 * the local source with per-prompt seeds, on the nano GPT-2 saved as a checkpoint folder.
 */
@Timeout(180)
class SparkRolloutSourceTest {
  static final long SEED = 11;
  static final GenerationConfig GENERATION =
      GenerationConfig.builder().maxNewTokens(6).sampling(SamplingConfig.ofSeed(3)).build();
  static final LoraConfig LORA =
      LoraConfig.builder()
          .r(4)
          .loraAlpha(8)
          .targetModules(List.of("c_attn"))
          .initLoraWeights(LoraConfig.InitLoraWeights.RANDOM)
          .build();
  static final RewardSpec LENGTH = RewardSpec.of(LengthScore.class.getName());

  @TempDir static Path tmp;
  static Path modelDir;
  static JavaSparkContext spark;

  /** Score: 0.1 per response token (deterministic, on executors and the driver alike). */
  public static final class LengthScore implements RewardFunction {
    @Override
    public float[] score(List<Sample> batch) {
      float[] s = new float[batch.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = 0.1f * batch.get(i).responseLength();
      }
      return s;
    }
  }

  /** A reward whose judge is down. */
  public static final class BrokenJudge implements RewardFunction {
    @Override
    public float[] score(List<Sample> batch) {
      throw new IllegalStateException("judge is down: HTTP 503 from http://judge:8080/score");
    }
  }

  /** Fails the first call in this JVM (a lost task), then scores like {@link LengthScore}. */
  public static final class FailsOnce implements RewardFunction {
    static final AtomicInteger CALLS = new AtomicInteger();

    @Override
    public float[] score(List<Sample> batch) {
      if (CALLS.getAndIncrement() == 0) {
        throw new IllegalStateException("executor lost (simulated)");
      }
      return new LengthScore().score(batch);
    }
  }

  /** The driver's side: a policy loaded from the same folder as the executors' base. */
  static final class Driver implements AutoCloseable {
    final CausalLM model = HfCheckpoint.load(modelDir);
    final LoraModel policy = LoraModel.inject(model, LORA, 2);
    final NDManager manager = NDManager.newBaseManager();
    final ValueHead head = ValueHead.create(manager, model.config().hiddenSize(), false, 0);

    LocalRolloutSource local() {
      return new LocalRolloutSource(model, GENERATION, head, null, SEED).perPromptSeeds();
    }

    SparkRolloutSource spark(RewardSpec reward, int partitions) {
      return SparkRolloutSource.builder()
          .sparkContext(spark)
          .base(new BaseModelSpec(modelDir.toString()))
          .policy(policy)
          .valueHead(head)
          .generation(GENERATION)
          .reward(reward)
          .seed(SEED)
          .partitions(partitions)
          .build();
    }

    @Override
    public void close() {
      head.close();
      manager.close();
      policy.close();
      model.close();
    }
  }

  @BeforeAll
  static void start() throws IOException {
    modelDir = tmp.resolve("nano");
    try (CausalLM m = Presets.create("nano", 1)) {
      HfCheckpoint.save(m, modelDir);
    }
    spark = new JavaSparkContext(SparkRolloutSource.conf("local[2,2]"));
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    ExecutorPolicy.clearAll();
  }

  static List<long[]> prompts(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<long[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long[] p = new long[2 + rng.nextInt(4)];
      for (int j = 0; j < p.length; j++) {
        p[j] = 1 + rng.nextInt(200);
      }
      out.add(p);
    }
    return out;
  }

  static void assertClose(List<float[]> expected, List<float[]> actual, double tol, String what) {
    assertEquals(expected.size(), actual.size(), what);
    for (int i = 0; i < expected.size(); i++) {
      float[] e = expected.get(i);
      float[] a = actual.get(i);
      assertEquals(e.length, a.length, what + " row " + i);
      for (int t = 0; t < e.length; t++) {
        assertEquals(e[t], a[t], tol, what + " row " + i + " token " + t);
      }
    }
  }

  @Test
  void sparkRolloutsEqualTheLocalSourceWithPerPromptSeeds() {
    List<long[]> prompts = prompts(6, 4);
    try (Driver d = new Driver()) {
      Rollout local = d.local().rollout(prompts, 3);
      for (int partitions : new int[] {2, 3}) {
        Rollout remote = d.spark(LENGTH, partitions).rollout(prompts, 3);
        for (int i = 0; i < prompts.size(); i++) {
          assertArrayEquals(prompts.get(i), remote.queries().get(i), "query " + i);
          assertArrayEquals(
              local.responses().get(i), remote.responses().get(i), "tokens of prompt " + i);
          assertEquals(local.endedWithEos()[i], remote.endedWithEos()[i]);
        }
        assertClose(local.logProbs(), remote.logProbs(), 1e-6, "log-probs");
        assertClose(local.values(), remote.values(), 1e-6, "values");
        assertArrayEquals(new LengthScore().score(samples(local)), remote.scores(), "scores");
        assertClose(driverReference(d, local), remote.refLogProbs(), 1e-5, "reference log-probs");
      }
    }
  }

  @Test
  void broadcastBytesAreTheAdapterAndValueHeadNotTheModel() throws IOException {
    try (Driver d = new Driver()) {
      SparkRolloutSource source = d.spark(LENGTH, 2);
      Rollout r = source.rollout(prompts(4, 5), 0);
      long adapterBytes = adapterBytes(d);
      long headBytes = AdapterPayload.of(d.policy, d.head).valueHead().length;
      SparkRolloutSource.StepStats s = source.lastStep();
      assertEquals(adapterBytes + headBytes, s.broadcastBytes());
      assertTrue(
          s.broadcastBytes() * 10 < d.model.parameterBytes(),
          s.broadcastBytes() + " bytes broadcast vs a model of " + d.model.parameterBytes());
      assertEquals(2, s.partitions());
      assertEquals(1, s.executors(), "local mode runs one executor");
      assertTrue(s.returnedBytes() >= 8L * r.responseTokens(), "ids and arrays come back");
      Map<String, Double> stats = source.lastRolloutStats();
      assertEquals((double) s.broadcastBytes(), stats.get("distributed/broadcast_bytes"));
      assertNotNull(stats.get("distributed/rollout_seconds_per_executor"));
    }
  }

  @Test
  void aFailingRewardStopsTheStepWithTheRewardsMessage() {
    try (Driver d = new Driver()) {
      SparkRolloutSource source = d.spark(RewardSpec.of(BrokenJudge.class.getName()), 2);
      RewardException e =
          assertThrows(RewardException.class, () -> source.rollout(prompts(4, 5), 0));
      assertTrue(e.getMessage().contains("judge is down: HTTP 503"), e.getMessage());
    }
  }

  @Test
  void aRetriedTaskComputesTheSameRows() {
    List<long[]> prompts = prompts(4, 6);
    try (Driver d = new Driver()) {
      Rollout expected = d.spark(LENGTH, 2).rollout(prompts, 1);
      FailsOnce.CALLS.set(0);
      Rollout retried = d.spark(RewardSpec.of(FailsOnce.class.getName()), 2).rollout(prompts, 1);
      assertTrue(FailsOnce.CALLS.get() >= 3, "one task failed and ran again");
      for (int i = 0; i < prompts.size(); i++) {
        assertArrayEquals(expected.responses().get(i), retried.responses().get(i));
        assertArrayEquals(expected.logProbs().get(i), retried.logProbs().get(i));
      }
      assertArrayEquals(expected.scores(), retried.scores());
    }
  }

  @Test
  void ppoOnSparkReachesTheSameAdapterAsTheLocalSource() {
    List<long[]> prompts = prompts(8, 7);
    Map<String, float[]> local = train(d -> d.local(), prompts);
    Map<String, float[]> remote = train(d -> d.spark(LENGTH, 2), prompts);
    assertSameAdapter(local, remote);
  }

  /** The two runs' trainable arrays agree within float tolerance. */
  static void assertSameAdapter(Map<String, float[]> local, Map<String, float[]> remote) {
    assertEquals(local.keySet(), remote.keySet());
    for (String k : local.keySet()) {
      float[] a = local.get(k);
      float[] b = remote.get(k);
      for (int i = 0; i < a.length; i++) {
        assertEquals(a[i], b[i], 1e-4, k + "[" + i + "]");
      }
    }
  }

  /** The trainable arrays' values. */
  static Map<String, float[]> values(Map<String, NDArray> trainable) {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
      out.put(e.getKey(), e.getValue().toFloatArray());
    }
    return out;
  }

  /** Bytes of the driver's active adapter as PEFT files ({@code adapter_config.json} + weights). */
  static long adapterBytes(Driver d) throws IOException {
    Path saved = Files.createTempDirectory(tmp, "adapter-size");
    d.policy.saveAdapter(d.policy.activeAdapter(), saved);
    return Files.size(saved.resolve(AdapterConfigFile.CONFIG))
        + Files.size(saved.resolve(AdapterConfigFile.WEIGHTS));
  }

  interface SourceOf {
    RolloutSource of(Driver d);
  }

  /** Three PPO steps from the same start; the trainable arrays after them. */
  static Map<String, float[]> train(SourceOf source, List<long[]> prompts) {
    PpoConfig config =
        PpoConfig.builder()
            .batchSize(4)
            .miniBatchSize(2)
            .ppoEpochs(2)
            .learningRate(1e-2)
            .seed(5)
            .build();
    try (Driver d = new Driver();
        PpoTrainer trainer =
            PpoTrainer.builder()
                .model(d.model)
                .trainable(d.policy.trainableParameters())
                .valueHead(d.head)
                .reference(new AdapterSwitchingReference(d.policy))
                .config(config)
                .rolloutSource(source.of(d))
                .build()) {
      trainer.train(prompts, new LengthScore(), 3, null);
      return values(trainer.trainableParameters());
    }
  }

  private static List<RewardFunction.Sample> samples(Rollout r) {
    List<RewardFunction.Sample> s = new ArrayList<>();
    for (int i = 0; i < r.size(); i++) {
      s.add(new RewardFunction.Sample("", "", r.queries().get(i), r.responses().get(i)));
    }
    return s;
  }

  /** The reference log-probs the trainer itself would compute for {@code r}. */
  static List<float[]> driverReference(Driver d, Rollout r) {
    List<float[]> out = new ArrayList<>();
    try (NDManager m = NDManager.newBaseManager()) {
      rlhf4j.policy.model.ResponseBatch b =
          rlhf4j.policy.model.ResponseBatch.of(m, r.queries(), r.responses(), 0);
      NDArray ref =
          new AdapterSwitchingReference(d.policy)
              .responseLogProbs(
                  b.ids(), b.attentionMask(), b.queryWidth(), b.responses(), 1.0); // (B, T)
      float[] flat = ref.toFloatArray();
      int width = Math.toIntExact(ref.getShape().get(1));
      for (int i = 0; i < r.size(); i++) {
        float[] row = new float[r.responses().get(i).length];
        System.arraycopy(flat, i * width, row, 0, row.length);
        out.add(row);
      }
    }
    return out;
  }
}
