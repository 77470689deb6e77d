package rlhf4j.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static rlhf4j.distributed.SparkRolloutSourceTest.assertClose;
import static rlhf4j.distributed.SparkRolloutSourceTest.prompts;

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
import rlhf4j.distributed.SparkRolloutSourceTest.LengthScore;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.ppo.PolicyTrainer;
import rlhf4j.ppo.RewardFuncs;
import rlhf4j.ppo.RolloutSamples;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.ppo.grpo.GrpoConfig;
import rlhf4j.ppo.grpo.GrpoTrainer;
import rlhf4j.ppo.reinforce.ReinforceConfig;
import rlhf4j.ppo.reinforce.ReinforceTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.GroupedRollout;
import rlhf4j.rollout.LocalRolloutSource;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutSource;

/**
 * The critic-free trainers' rollouts on {@code local[2]}: G completions per prompt, each scored by
 * every reward function on the executors, old and reference log-probs from there, only the adapter
 * broadcast; against the local source with per-prompt seeds on the nano GPT-2.
 */
@Timeout(180)
class SparkGroupedRolloutsTest {
  static final int G = 2;
  static final List<RewardSpec> FUNCS =
      List.of(RewardSpec.of(LengthScore.class.getName()), RewardSpec.of(EvenOnly.class.getName()));

  @TempDir static Path tmp;
  static JavaSparkContext spark;

  /** 1 for an even response length, NaN (no score) for an odd one. */
  public static final class EvenOnly implements RewardFunction {
    @Override
    public float[] score(List<Sample> batch) {
      float[] s = new float[batch.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = batch.get(i).responseLength() % 2 == 0 ? 1f : Float.NaN;
      }
      return s;
    }
  }

  @BeforeAll
  static void start() throws IOException {
    // the PPO test's driver and helpers, on a nano model saved here (the classes run one by one)
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

  /** The critic-free source: no value head, the reward functions, the reference as asked. */
  static SparkRolloutSource source(
      Driver d, int partitions, boolean reference, List<RewardSpec> funcs) {
    return SparkRolloutSource.builder()
        .sparkContext(spark)
        .base(new BaseModelSpec(SparkRolloutSourceTest.modelDir.toString()))
        .policy(d.policy)
        .generation(SparkRolloutSourceTest.GENERATION)
        .rewardFuncs(funcs)
        .reference(reference)
        .seed(SparkRolloutSourceTest.SEED)
        .partitions(partitions)
        .build();
  }

  static LocalRolloutSource local(Driver d) {
    return new LocalRolloutSource(
            d.model, SparkRolloutSourceTest.GENERATION, null, null, SparkRolloutSourceTest.SEED)
        .perPromptSeeds();
  }

  /** {@link #FUNCS} as the driver's functions, named as the executors name them. */
  static List<RewardFunction> localFuncs() {
    return List.of(
        RewardFunction.named(LengthScore.class.getName(), new LengthScore()),
        RewardFunction.named(EvenOnly.class.getName(), new EvenOnly()));
  }

  @Test
  void groupedSparkRolloutsEqualTheLocalSourceForGrpo() {
    List<long[]> prompts = prompts(3, 8);
    try (Driver d = new Driver()) {
      GroupedRollout local = GroupedRollout.generate(local(d), prompts, G, 2);
      double[][] expectedRewards =
          new RewardFuncs(localFuncs()).score(RolloutSamples.of(local.rollout(), null));
      // 3 partitions of 6 rows split no group; 4 split two of them
      for (int partitions : new int[] {3, 4}) {
        GroupedRollout remote =
            GroupedRollout.generate(source(d, partitions, true, FUNCS), prompts, G, 2);
        Rollout l = local.rollout();
        Rollout r = remote.rollout();
        assertEquals(prompts.size() * G, r.size());
        for (int i = 0; i < r.size(); i++) {
          assertArrayEquals(prompts.get(i / G), r.queries().get(i), "query of row " + i);
          assertArrayEquals(l.responses().get(i), r.responses().get(i), "tokens of row " + i);
          assertArrayEquals(expectedRewards[i], r.rewardsPerFunc()[i], "rewards of row " + i);
        }
        assertClose(l.logProbs(), r.logProbs(), 1e-6, "log-probs");
        assertClose(
            SparkRolloutSourceTest.driverReference(d, l), r.refLogProbs(), 1e-5, "reference");
        assertNull(r.values(), "no value head");
        assertNull(r.scores(), "the critic-free trainers read rewardsPerFunc");
      }
    }
  }

  @Test
  void onlyTheAdapterIsBroadcastAndTheReferenceRunsOnlyWhenAsked() throws IOException {
    try (Driver d = new Driver()) {
      SparkRolloutSource source = source(d, 2, false, FUNCS);
      Rollout r = GroupedRollout.generate(source, prompts(2, 9), G, 0).rollout();
      assertNull(r.refLogProbs(), "reference(false): no reference pass on the executors");
      long adapterBytes = SparkRolloutSourceTest.adapterBytes(d);
      assertEquals(adapterBytes, source.lastStep().broadcastBytes());
      assertEquals(
          (double) adapterBytes, source.lastRolloutStats().get("distributed/broadcast_bytes"));
    }
  }

  @Test
  void grpoOnSparkReachesTheSameAdapterAsTheLocalSource() {
    List<long[]> prompts = prompts(4, 10);
    List<Map<String, Double>> localStats = new ArrayList<>();
    List<Map<String, Double>> sparkStats = new ArrayList<>();
    Map<String, float[]> local = train(GRPO, d -> local(d), prompts, localStats);
    Map<String, float[]> remote = train(GRPO, d -> source(d, 2, true, FUNCS), prompts, sparkStats);
    SparkRolloutSourceTest.assertSameAdapter(local, remote);
    try (Driver d = new Driver()) { // and the two steps did move it
      Map<String, float[]> start = SparkRolloutSourceTest.values(d.policy.trainableParameters());
      double moved = 0;
      for (String k : start.keySet()) {
        for (int i = 0; i < start.get(k).length; i++) {
          moved = Math.max(moved, Math.abs(start.get(k)[i] - remote.get(k)[i]));
        }
      }
      assertTrue(moved > 1e-3, "largest change " + moved);
    }
    for (int s = 0; s < sparkStats.size(); s++) {
      assertEquals(localStats.get(s).get("reward"), sparkStats.get(s).get("reward"), 1e-6);
      assertTrue(localStats.get(s).get("time/ref_and_old_forward") > 0, "local: a pass here");
      assertEquals(
          0.0, sparkStats.get(s).get("time/ref_and_old_forward"), "old and ref from executors");
      assertTrue(sparkStats.get(s).get("distributed/broadcast_bytes") > 0);
      assertEquals(1.0, sparkStats.get(s).get("distributed/executors"));
    }
  }

  @Test
  void reinforcePlusPlusOnSparkReachesTheSameAdapterAsTheLocalSource() {
    List<long[]> prompts = prompts(4, 12);
    List<Map<String, Double>> sparkStats = new ArrayList<>();
    Map<String, float[]> local = train(REINFORCE, d -> local(d), prompts, new ArrayList<>());
    Map<String, float[]> remote =
        train(REINFORCE, d -> source(d, 2, true, FUNCS.subList(0, 1)), prompts, sparkStats);
    SparkRolloutSourceTest.assertSameAdapter(local, remote);
    assertEquals(0.0, sparkStats.get(1).get("time/ref_and_old_forward"), "from the executors");
  }

  interface SourceOf {
    RolloutSource of(Driver d);
  }

  /** A trainer built on a setup, trained on the prompts (two steps). */
  interface Trainer {
    PolicyTrainer trained(TrainerSetup setup, List<long[]> prompts);
  }

  static final RunConfig RUN = RunConfig.builder().batchSize(2).miniBatchSize(2).seed(5).build();

  /** GRPO with the KL on and two iterations: old and reference log-probs both in use. */
  static final Trainer GRPO =
      (setup, prompts) -> {
        GrpoConfig config =
            GrpoConfig.builder()
                .numGenerations(G)
                .numIterations(2)
                .beta(0.04)
                .learningRate(1e-2)
                .maxCompletionLength(SparkRolloutSourceTest.GENERATION.maxNewTokens())
                .build();
        GrpoTrainer trainer = new GrpoTrainer(setup, config, RUN);
        trainer.train(prompts, localFuncs(), 2, null);
        return trainer;
      };

  /** REINFORCE++ with its KL reward (every sample must be scored: the length alone). */
  static final Trainer REINFORCE =
      (setup, prompts) -> {
        ReinforceConfig config =
            ReinforceConfig.builder()
                .samplesPerPrompt(G)
                .klCoef(0.01)
                .baseline(true)
                .learningRate(1e-2)
                .build();
        ReinforceTrainer trainer = new ReinforceTrainer(setup, config, RUN);
        trainer.train(prompts, localFuncs().subList(0, 1), 2, null);
        return trainer;
      };

  /** Two steps of {@code trainer} from the same start; the trainables after them. */
  static Map<String, float[]> train(
      Trainer trainer, SourceOf source, List<long[]> prompts, List<Map<String, Double>> stats) {
    try (Driver d = new Driver()) {
      TrainerSetup setup =
          TrainerSetup.builder()
              .model(d.model)
              .trainable(d.policy.trainableParameters())
              .reference(new AdapterSwitchingReference(d.policy))
              .rolloutSource(source.of(d))
              .listener((step, s) -> stats.add(s));
      try (PolicyTrainer t = trainer.trained(setup, prompts)) {
        return SparkRolloutSourceTest.values(t.trainableParameters());
      }
    }
  }
}
