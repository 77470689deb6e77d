package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.optim.AdamW;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.policy.optim.LrSchedule;
import rlhf4j.policy.optim.Optimizer;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.reward.norm.RunningMoments;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Generator;
import rlhf4j.rollout.LocalRolloutSource;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.RolloutSource;

/** The trainer's seams: rollout sources, its State, divergence before any update, close. */
class PpoTrainerSeamsTest {
  static final GenerationConfig GENERATION = PpoTrainerTest.GENERATION;

  /** A policy, value head and trainer; {@code source} maps the default source to the one used. */
  static final class World implements AutoCloseable {
    final CausalLM model = Presets.create("nano", 1);
    final LoraModel policy = LoraModel.inject(model, PpoTrainerTest.lora(0.0), 2);
    final NDManager manager = NDManager.newBaseManager();
    final ValueHead head = ValueHead.create(manager, model.config().hiddenSize(), false, 0);
    final List<Map<String, Double>> stats = new ArrayList<>();
    final PpoTrainer trainer;

    World(PpoConfig config, Function<RolloutSource, RolloutSource> source) {
      RolloutSource local = new LocalRolloutSource(model, GENERATION, head, null, config.seed());
      trainer =
          PpoTrainerTest.builder(model, policy, head, config)
              .generation(GENERATION)
              .rolloutSource(source == null ? null : source.apply(local))
              .listener((s, st) -> stats.add(st))
              .build();
    }

    @Override
    public void close() {
      trainer.close();
      head.close();
      manager.close();
      policy.close();
      model.close();
    }
  }

  @Test
  void aRolloutSourceStandsInForTheLocalGeneratorWithoutChangingTheRun() {
    Map<String, byte[]> viaDefault;
    List<Double> klDefault = new ArrayList<>();
    try (World w = new World(PpoTrainerTest.ppo().build(), null)) {
      w.trainer.train(PpoCheckpointTest.PROMPTS, PpoCheckpointTest.REWARD, 2, null);
      viaDefault = trainable(w.trainer);
      w.stats.forEach(s -> klDefault.add(s.get("objective/kl")));
    }
    List<Long> steps = new ArrayList<>();
    try (World w =
        new World(
            PpoTrainerTest.ppo().build(),
            local ->
                (prompts, step) -> {
                  steps.add(step);
                  return local.rollout(prompts, step);
                })) {
      w.trainer.train(PpoCheckpointTest.PROMPTS, PpoCheckpointTest.REWARD, 2, null);
      assertEquals(List.of(0L, 1L), steps, "the source is told the step");
      PpoCheckpointTest.assertBytesEqual(viaDefault, trainable(w.trainer));
      for (int i = 0; i < 2; i++) {
        assertEquals(klDefault.get(i), w.stats.get(i).get("objective/kl"), "step " + i);
      }
    }
  }

  @Test
  void aSourceWithoutValuesMakesTheTrainerRecomputeTheOldPolicy() {
    try (World w =
        new World(
            PpoTrainerTest.ppo().build(),
            local ->
                (prompts, step) -> {
                  Rollout r = local.rollout(prompts, step);
                  return new Rollout(
                      r.queries(), r.responses(), r.logProbs(), null, null, r.endedWithEos());
                })) {
      w.trainer.train(PpoCheckpointTest.PROMPTS, PpoCheckpointTest.REWARD, 1, null);
      Map<String, Double> stats = w.stats.get(0);
      assertEquals(0.0, stats.get("objective/kl"), 1e-6, "fresh adapter: policy == reference");
      assertTrue(stats.get("ppo/policy/ratio_first_minibatch_max_dev") < 1e-6);
    }
  }

  @Test
  void aNonFiniteLossStopsBeforeAnyWeightOrOptimizerStateChanges() {
    try (World w = new World(PpoTrainerTest.ppo().build(), null)) {
      Rollout r = new Generator(w.model, GENERATION).generate(PpoTrainerTest.prompts(4, 7));
      Map<String, byte[]> before = trainable(w.trainer);
      float huge = Float.MAX_VALUE; // finite, but its squared value error is not
      DivergenceException e =
          assertThrows(
              DivergenceException.class,
              () -> w.trainer.step(r.queries(), r.responses(), new float[] {huge, 0, 0, huge}));
      assertTrue(e.getMessage().contains("PPO loss is"), e.getMessage());
      assertTrue(e.getMessage().contains("No optimizer step ran"), e.getMessage());
      PpoCheckpointTest.assertBytesEqual(before, trainable(w.trainer));
      assertEquals(0L, w.trainer.optimizer().exportState().scalars().get("adamw.step"));
      assertEquals(0, w.trainer.stepCount());
      assertEquals(new PpoTrainer.State(0, 0.2, null), w.trainer.state());
    }
  }

  @Test
  void stateRoundTripsAndMustMatchTheTrainersScoreScaling() {
    PpoConfig scaled = PpoTrainerTest.ppo().useScoreScaling(true).build();
    PpoTrainer.State saved;
    try (World w = new World(scaled, null)) {
      w.trainer.train(PpoCheckpointTest.PROMPTS, PpoCheckpointTest.REWARD, 2, null);
      saved = w.trainer.state();
      assertEquals(2, saved.step());
      assertEquals(w.trainer.klController().value(), saved.klCoef());
      assertEquals(w.trainer.scoreMoments().state(), saved.scoreMoments());
    }
    try (World fresh = new World(scaled, null)) {
      fresh.trainer.restore(saved);
      assertEquals(saved, fresh.trainer.state());
    }
    try (World unscaled = new World(PpoTrainerTest.ppo().build(), null)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> unscaled.trainer.restore(saved));
      assertTrue(e.getMessage().contains("score moments"), e.getMessage());
      assertEquals(0, unscaled.trainer.stepCount(), "nothing restored");
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> new PpoTrainer.State(-1, 0.2, new RunningMoments().state()));
  }

  @Test
  void closeFreesTheOptimizerTheTrainerBuiltButNotAGivenOne() {
    try (World w = new World(PpoTrainerTest.ppo().build(), null)) {
      w.trainer.close();
      assertThrows(IllegalStateException.class, () -> w.trainer.optimizer().exportState());
    }
    try (World w = new World(PpoTrainerTest.ppo().build(), null);
        Optimizer given = new AdamW(AdamWConfig.adam(), LrSchedule.constant(1e-3))) {
      PpoTrainer trainer =
          PpoTrainerTest.builder(w.model, w.policy, w.head, PpoTrainerTest.ppo().build())
              .optimizer(given)
              .build();
      trainer.close();
      assertDoesNotThrow(given::exportState);
    }
  }

  static Map<String, byte[]> trainable(PpoTrainer t) {
    Map<String, byte[]> out = new java.util.TreeMap<>();
    t.trainableParameters().forEach((k, v) -> out.put(k, v.toByteArray()));
    return out;
  }
}
