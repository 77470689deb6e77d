package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.reward.RewardException;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.norm.RunningMoments;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Generator;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.sampling.SamplingConfig;

class PpoCheckpointTest {
  @TempDir Path tmp;

  static final List<long[]> PROMPTS = PpoTrainerTest.prompts(8, 2);
  static final RewardFunction REWARD = PpoTrainerTest::scoresByLength;

  /** Dropout on (torch RNG), score scaling and normalisation on (running moments), adaptive KL. */
  static PpoConfig config() {
    return PpoTrainerTest.ppo().useScoreScaling(true).useScoreNorm(true).build();
  }

  /** A policy, value head and trainer built from scratch, as a new process would. */
  static final class World implements AutoCloseable {
    final CausalLM model;
    final LoraModel policy;
    final NDManager manager;
    final ValueHead head;
    final PpoTrainer trainer;
    final List<Map<String, Double>> stats = new ArrayList<>();

    World(PpoConfig config, LoraConfig lora, long initSeed) {
      model = Presets.create("nano", 1); // the frozen base is the same in every world
      policy = LoraModel.inject(model, lora, initSeed);
      manager = NDManager.newBaseManager();
      head = ValueHead.create(manager, model.config().hiddenSize(), false, initSeed);
      trainer =
          PpoTrainerTest.builder(model, policy, head, config)
              .generation(PpoTrainerTest.GENERATION)
              .listener((s, st) -> stats.add(st))
              .build();
    }

    World(long initSeed) {
      this(config(), PpoTrainerTest.lora(0.1), initSeed);
    }

    Map<String, byte[]> trainable() {
      Map<String, byte[]> out = new TreeMap<>();
      trainer.trainableParameters().forEach((k, v) -> out.put(k, bytes(v)));
      return out;
    }

    @Override
    public void close() {
      trainer.optimizer().close();
      head.close();
      manager.close();
      policy.close();
      model.close();
    }
  }

  @Test
  void resumeInAFreshWorldContinuesBitwiseLikeAnUninterruptedRun() throws IOException {
    Map<String, byte[]> straightWeights;
    Map<String, byte[]> straightOptimizer;
    List<Map<String, Double>> straightStats;
    double straightKl;
    RunningMoments.State straightMoments;
    try (World a = new World(2)) {
      a.trainer.train(PROMPTS, REWARD, 4, null);
      straightWeights = a.trainable();
      straightOptimizer = optimizerBytes(a.trainer);
      straightStats = a.stats;
      straightKl = a.trainer.klController().value();
      straightMoments = a.trainer.scoreMoments().state();
    }

    Path runDir = tmp.resolve("run");
    Map<String, byte[]> savedWeights;
    try (World b = new World(2)) {
      b.trainer.train(PROMPTS, REWARD, 2, PpoCheckpoint.every(2, b.policy::save, runDir, 0));
      savedWeights = b.trainable();
    }
    Path ckpt = PpoCheckpoint.latest(runDir).orElseThrow();
    assertEquals("checkpoint-2", ckpt.getFileName().toString());

    // another "process": other init seeds, and torch's global RNG advanced by unrelated draws
    try (World c = new World(99)) {
      assertFalse(
          Arrays.equals(
              savedWeights.values().iterator().next(), c.trainable().values().iterator().next()),
          "the fresh world must start elsewhere, or restore proves nothing");
      PpoCheckpoint.restore(c.trainer, ckpt);
      assertEquals(2, c.trainer.stepCount());
      assertBytesEqual(savedWeights, c.trainable());
      try (NDManager m = NDManager.newBaseManager()) {
        m.randomUniform(0, 1, new Shape(1000)).toFloatArray();
      }
      c.trainer.train(PROMPTS, REWARD, 4, null);
      assertEquals(4, c.trainer.stepCount());
      assertBytesEqual(straightWeights, c.trainable());
      assertBytesEqual(straightOptimizer, optimizerBytes(c.trainer));
      assertEquals(straightKl, c.trainer.klController().value());
      assertEquals(straightMoments, c.trainer.scoreMoments().state());
      for (int i = 0; i < 2; i++) {
        for (String key :
            List.of("objective/kl", "objective/scores", "ppo/loss/total", "ppo/mean_scores")) {
          assertEquals(
              straightStats.get(2 + i).get(key), c.stats.get(i).get(key), "step " + (3 + i) + key);
        }
      }
    }
  }

  @Test
  void resumingWithFreshScoreMomentsWouldNotMatchSoTheTestAboveSeesThem() throws IOException {
    Map<String, byte[]> straightWeights;
    try (World a = new World(2)) {
      a.trainer.train(PROMPTS, REWARD, 4, null);
      straightWeights = a.trainable();
    }
    Path runDir = tmp.resolve("run");
    try (World b = new World(2)) {
      b.trainer.train(PROMPTS, REWARD, 2, PpoCheckpoint.every(2, b.policy::save, runDir, 0));
    }
    try (World c = new World(2)) {
      PpoCheckpoint.restore(c.trainer, PpoCheckpoint.latest(runDir).orElseThrow());
      PpoTrainer.State restored = c.trainer.state();
      c.trainer.restore(
          new PpoTrainer.State(restored.step(), restored.klCoef(), new RunningMoments().state()));
      c.trainer.train(PROMPTS, REWARD, 4, null);
      Map<String, byte[]> got = c.trainable();
      long differing =
          straightWeights.keySet().stream()
              .filter(k -> !Arrays.equals(straightWeights.get(k), got.get(k)))
              .count();
      assertTrue(differing > 0, "score moments must influence the update");
    }
  }

  @Test
  void checkpointHoldsPeftAdapterTrlValueHeadStateAndConfig() throws IOException {
    Path runDir = tmp.resolve("run");
    PpoConfig config = config();
    try (World w = new World(2)) {
      w.trainer.train(PROMPTS, REWARD, 2, null);
      Path ckpt = PpoCheckpoint.save(w.trainer, w.policy, runDir);
      assertEquals(runDir.resolve("checkpoint-2"), ckpt);
      for (String f :
          List.of(
              "adapter/adapter_config.json",
              "adapter/adapter_model.safetensors",
              PpoCheckpoint.VALUE_HEAD,
              PpoCheckpoint.TRAINABLE,
              PpoCheckpoint.OPTIMIZER,
              PpoCheckpoint.TRAINER_STATE,
              PpoCheckpoint.CONFIG)) {
        assertTrue(Files.isRegularFile(ckpt.resolve(f)), f);
      }
      SafeTensors.Contents vh = SafeTensors.read(ckpt.resolve(PpoCheckpoint.VALUE_HEAD));
      assertEquals(List.of(ValueHead.BIAS, ValueHead.WEIGHT), List.copyOf(vh.tensors().keySet()));
      assertArrayEquals(new long[] {1, 32}, vh.get(ValueHead.WEIGHT).shape());
      assertArrayEquals(
          w.head.parameters().get(ValueHead.WEIGHT).toFloatArray(),
          floats(vh.get(ValueHead.WEIGHT).bytes()));

      JsonObject state =
          JsonParser.parseString(Files.readString(ckpt.resolve(PpoCheckpoint.TRAINER_STATE)))
              .getAsJsonObject();
      assertEquals(2, state.get("step").getAsLong());
      assertEquals(config.seed(), state.get("seed").getAsLong());
      assertEquals(
          w.trainer.klController().value(),
          state.getAsJsonObject("kl_controller").get("value").getAsDouble());
      assertEquals(
          w.trainer.scoreMoments().count(),
          state.getAsJsonObject("score_moments").get("count").getAsDouble());
      // 2 steps x 2 epochs x 2 minibatches
      assertEquals(
          8,
          state
              .getAsJsonObject("optimizer")
              .getAsJsonObject("scalars")
              .get("adamw.step")
              .getAsLong());
      assertEquals(config, PpoCheckpoint.readConfig(ckpt));

      // the PEFT folder loads into a fresh base model and equals the trained adapter
      try (CausalLM fresh = Presets.create("nano", 1);
          LoraModel loaded = LoraModel.load(fresh, ckpt.resolve(PpoCheckpoint.ADAPTER_DIR))) {
        Map<String, NDArray> want = w.policy.trainableParameters();
        Map<String, NDArray> got = loaded.trainableParameters();
        assertEquals(want.keySet(), got.keySet());
        want.forEach((k, v) -> assertArrayEquals(bytes(v), bytes(got.get(k)), k));
      }
    }
  }

  @Test
  void nanRewardStopsWithAClearErrorAndLeavesTheLastCheckpointIntact() throws IOException {
    Path runDir = tmp.resolve("run");
    AtomicInteger calls = new AtomicInteger();
    Map<String, byte[]>[] before = new Map[1];
    RewardFunction reward =
        RewardFunction.named(
            "nan-at-step-3",
            batch -> {
              float[] s = PpoTrainerTest.scoresByLength(batch);
              if (calls.incrementAndGet() == 3) {
                try {
                  before[0] = files(runDir.resolve("checkpoint-2"));
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
                s[1] = Float.NaN;
              }
              return s;
            });
    try (World w = new World(2)) {
      RewardException e =
          assertThrows(
              RewardException.class,
              () ->
                  w.trainer.train(
                      PROMPTS, reward, 4, PpoCheckpoint.every(2, w.policy::save, runDir, 0)));
      assertTrue(e.getMessage().contains("nan-at-step-3"), e.getMessage());
      assertTrue(e.getMessage().contains("NaN at index 1"), e.getMessage());
      assertEquals(2, w.trainer.stepCount());
      assertEquals(List.of(runDir.resolve("checkpoint-2")), PpoCheckpoint.list(runDir));
      assertFalse(before[0].isEmpty());
      assertBytesEqual(before[0], files(runDir.resolve("checkpoint-2")));
    }
  }

  @Test
  void nanLossStopsWithTrainingDivergedAndRestoreRollsBack() throws IOException {
    Path runDir = tmp.resolve("run");
    try (World w = new World(2)) {
      Rollout r =
          new Generator(
                  w.model,
                  GenerationConfig.builder()
                      .maxNewTokens(5)
                      .sampling(SamplingConfig.ofSeed(4))
                      .build())
              .generate(PpoTrainerTest.prompts(PpoTrainerTest.B, 7));
      float[] scores = {1, 0, 0.5f, -1};
      w.trainer.step(r.queries(), r.responses(), scores);
      Path ckpt = PpoCheckpoint.save(w.trainer, w.policy, runDir);
      Map<String, byte[]> before = files(ckpt);
      Map<String, byte[]> weights = w.trainable();

      NDArray headWeight = w.head.parameters().get(ValueHead.WEIGHT);
      float[] nan = new float[(int) headWeight.size()];
      Arrays.fill(nan, Float.NaN);
      try (NoGrad ng = NoGrad.enter()) {
        headWeight.set(nan); // a diverged value head
      }
      DivergenceException e =
          assertThrows(
              DivergenceException.class, () -> w.trainer.step(r.queries(), r.responses(), scores));
      assertTrue(e.getMessage().contains("PPO loss is NaN"), e.getMessage());
      assertTrue(e.getMessage().contains("checkpoint is intact"), e.getMessage());
      assertEquals(1, w.trainer.stepCount());
      assertBytesEqual(before, files(ckpt));
      assertEquals(List.of(ckpt), PpoCheckpoint.list(runDir));

      PpoCheckpoint.restore(w.trainer, ckpt);
      assertBytesEqual(weights, w.trainable());
      w.trainer.step(r.queries(), r.responses(), scores); // trains again
      assertEquals(2, w.trainer.stepCount());
    }
  }

  @Test
  void aFailureWhileWritingLeavesNoPartialCheckpoint() throws IOException {
    Path runDir = tmp.resolve("run");
    try (World w = new World(2)) {
      w.trainer.train(PROMPTS, REWARD, 1, null);
      PpoCheckpoint.save(w.trainer, w.policy, runDir);
      w.trainer.train(PROMPTS, REWARD, 2, null);
      IOException e =
          assertThrows(
              IOException.class,
              () ->
                  PpoCheckpoint.save(
                      w.trainer,
                      dir -> {
                        w.policy.save(dir);
                        throw new IOException("disk full");
                      },
                      runDir));
      assertEquals("disk full", e.getMessage());
      assertEquals(List.of("checkpoint-1"), entries(runDir));
      assertEquals(runDir.resolve("checkpoint-1"), PpoCheckpoint.latest(runDir).orElseThrow());
    }
  }

  @Test
  void savingTheSameStepAgainReplacesTheCheckpoint() throws IOException {
    Path runDir = tmp.resolve("run");
    try (World w = new World(2)) {
      PpoCheckpoint.save(w.trainer, w.policy, runDir);
      PpoCheckpoint.save(w.trainer, w.policy, runDir);
      assertEquals(List.of("checkpoint-0"), entries(runDir));
      PpoCheckpoint.restore(w.trainer, runDir.resolve("checkpoint-0")); // step 0: empty optimizer
      w.trainer.train(PROMPTS, REWARD, 1, null);
      assertEquals(1, w.trainer.stepCount());
    }
  }

  @Test
  void latestIgnoresTemporaryAndIncompleteFoldersAndComparesStepsAsNumbers() throws IOException {
    Path runDir = tmp.resolve("run");
    assertTrue(PpoCheckpoint.latest(runDir).isEmpty());
    complete(runDir.resolve("checkpoint-9"));
    complete(runDir.resolve("checkpoint-10"));
    Files.createDirectories(runDir.resolve("checkpoint-11")); // no trainer_state.json
    complete(runDir.resolve(".tmp-checkpoint-12-123"));
    complete(runDir.resolve("checkpoint-x"));
    Files.writeString(runDir.resolve("checkpoint-13"), "a file");
    assertEquals(runDir.resolve("checkpoint-10"), PpoCheckpoint.latest(runDir).orElseThrow());
    assertEquals(
        List.of(runDir.resolve("checkpoint-9"), runDir.resolve("checkpoint-10")),
        PpoCheckpoint.list(runDir));
  }

  @Test
  void keepLastDeletesOlderCheckpointsOnly() throws IOException {
    Path runDir = tmp.resolve("run");
    for (int s : new int[] {1, 2, 3, 20}) {
      complete(runDir.resolve("checkpoint-" + s));
    }
    complete(runDir.resolve(".tmp-checkpoint-21-5"));
    PpoCheckpoint.keepLast(runDir, 2);
    assertEquals(List.of(".tmp-checkpoint-21-5", "checkpoint-20", "checkpoint-3"), entries(runDir));
  }

  @Test
  void everyCallbackSavesOnMultiplesAndKeepsTheNewest() throws IOException {
    Path runDir = tmp.resolve("run");
    try (World w = new World(2)) {
      w.trainer.train(PROMPTS, REWARD, 5, PpoCheckpoint.every(2, w.policy::save, runDir, 1));
      assertEquals(List.of("checkpoint-4"), entries(runDir));
    }
  }

  @Test
  void restoreRejectsACheckpointOfAnotherLoraConfig() throws IOException {
    Path runDir = tmp.resolve("run");
    Path ckpt;
    try (World w = new World(2)) {
      ckpt = PpoCheckpoint.save(w.trainer, w.policy, runDir);
    }
    LoraConfig rank2 = PpoTrainerTest.lora(0.1).toBuilder().r(2).build();
    try (World other = new World(config(), rank2, 2)) {
      CheckpointException e =
          assertThrows(CheckpointException.class, () -> PpoCheckpoint.restore(other.trainer, ckpt));
      assertTrue(e.getMessage().contains(PpoCheckpoint.TRAINABLE), e.getMessage());
      assertTrue(e.getMessage().contains("F32[4, 32]"), e.getMessage());
      assertEquals(0, other.trainer.stepCount());
    }
    try (World noScaling = new World(PpoTrainerTest.ppo().build(), PpoTrainerTest.lora(0.1), 2)) {
      CheckpointException e =
          assertThrows(
              CheckpointException.class, () -> PpoCheckpoint.restore(noScaling.trainer, ckpt));
      assertTrue(e.getMessage().contains("score moments"), e.getMessage());
    }
  }

  @Test
  void restoreNamesAMissingFile() throws IOException {
    Path runDir = tmp.resolve("run");
    try (World w = new World(2)) {
      Path ckpt = PpoCheckpoint.save(w.trainer, w.policy, runDir);
      Files.delete(ckpt.resolve(PpoCheckpoint.OPTIMIZER));
      CheckpointException e =
          assertThrows(CheckpointException.class, () -> PpoCheckpoint.restore(w.trainer, ckpt));
      assertTrue(e.getMessage().contains(PpoCheckpoint.OPTIMIZER), e.getMessage());
    }
  }

  // ------------------------------------------------------------------ helpers

  static byte[] bytes(NDArray a) {
    return a.toByteArray();
  }

  static float[] floats(java.nio.ByteBuffer b) {
    java.nio.FloatBuffer fb = b.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] out = new float[fb.remaining()];
    fb.get(out);
    return out;
  }

  static Map<String, byte[]> optimizerBytes(PpoTrainer t) {
    Map<String, byte[]> out = new TreeMap<>();
    t.optimizer().exportState().tensors().forEach((k, v) -> out.put(k, bytes(v)));
    return out;
  }

  static void assertBytesEqual(Map<String, byte[]> want, Map<String, byte[]> got) {
    assertEquals(want.keySet(), got.keySet());
    want.forEach((k, v) -> assertArrayEquals(v, got.get(k), k));
  }

  static Map<String, byte[]> files(Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  static List<String> entries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static void complete(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(PpoCheckpoint.TRAINER_STATE), "{}");
  }
}
