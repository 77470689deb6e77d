package rlhf4j.reward.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.optim.LrScheduleType;
import rlhf4j.policy.train.DivergenceException;

class RewardTrainerTest {
  private static final int VOCAB = 32;
  private static final long TOKEN_A = 1; // only in chosen completions
  private static final long TOKEN_B = 2; // only in rejected completions

  /**
   * Separable synthetic preferences: prompt and completions are random filler tokens (3..31); the
   * chosen completion contains token A, the rejected one token B, each at a random position.
   */
  static List<TokenizedPair> separablePairs(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<TokenizedPair> pairs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long[] prompt = filler(rng, 2 + rng.nextInt(4));
      pairs.add(
          TokenizedPair.of(
              RewardModel.concat(prompt, completion(rng, TOKEN_A)),
              RewardModel.concat(prompt, completion(rng, TOKEN_B))));
    }
    return pairs;
  }

  private static long[] completion(SplittableRandom rng, long marker) {
    long[] c = filler(rng, 2 + rng.nextInt(4));
    c[rng.nextInt(c.length)] = marker;
    return c;
  }

  private static long[] filler(SplittableRandom rng, int len) {
    long[] ids = new long[len];
    for (int i = 0; i < len; i++) {
      ids[i] = 3 + rng.nextInt(VOCAB - 3);
    }
    return ids;
  }

  private static RewardTrainerConfig fast() {
    return RewardTrainerConfig.builder()
        .optEpochs(4)
        .optBatchSize(16)
        .optEvalBatchSize(32)
        .optLearningRate(2e-3)
        .optSeed(7)
        .build();
  }

  @Test
  void learnsASeparablePreferenceToNinetyFivePercentHeldOutAccuracy() {
    List<TokenizedPair> train = separablePairs(256, 1);
    List<TokenizedPair> eval = separablePairs(128, 2);
    try (RewardModel rm = RewardModel.random(TestModels.nano(VOCAB), 3)) {
      RewardTrainer trainer = new RewardTrainer(rm, fast());
      RewardTrainer.Evaluation before = trainer.evaluate(eval);
      RewardTrainer.Result result = trainer.train(train, eval);
      System.out.printf(
          "separable preferences: held-out accuracy %.4f -> %.4f, loss %.4f -> %.4f, %d steps%n",
          before.accuracy(),
          result.eval().accuracy(),
          before.loss(),
          result.eval().loss(),
          result.steps());
      assertEquals(64, result.steps());
      assertTrue(before.accuracy() < 0.8, "an untrained model should not already separate");
      assertTrue(result.eval().accuracy() >= 0.95, "held-out accuracy " + result.eval().accuracy());
      assertTrue(result.eval().loss() < before.loss());
      assertEquals(128, result.eval().pairs());
    }
  }

  @Test
  void listenerSeesEveryStepAndOneEvaluationPerEpoch() {
    List<TokenizedPair> train = separablePairs(40, 4);
    List<TokenizedPair> eval = separablePairs(8, 5);
    List<Long> trainSteps = new ArrayList<>();
    List<Map<String, Double>> evals = new ArrayList<>();
    List<Double> learningRates = new ArrayList<>();
    try (RewardModel rm = RewardModel.random(TestModels.nano(VOCAB), 3)) {
      RewardTrainerConfig config =
          fast().toBuilder()
              .optEpochs(2)
              .optSchedule(LrScheduleType.LINEAR)
              .optCenterRewardsCoefficient(0.01)
              .build();
      new RewardTrainer(rm, config)
          .addListener(
              (step, m) -> {
                if (m.containsKey("train/loss")) {
                  trainSteps.add(step);
                  learningRates.add(m.get("train/learning_rate"));
                  assertTrue(m.get("train/grad_norm") > 0);
                  assertEquals(
                      m.get("train/rewards/chosen") - m.get("train/rewards/rejected"),
                      m.get("train/margin"),
                      1e-9);
                } else {
                  evals.add(m);
                }
              })
          .train(train, eval);
    }
    // 40 pairs in batches of 16: 3 steps per epoch (16, 16, 8), 2 epochs
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), trainSteps);
    assertEquals(2, evals.size());
    assertEquals(
        List.of(
            "eval/loss",
            "eval/accuracy",
            "eval/margin",
            "eval/rewards/chosen",
            "eval/rewards/rejected",
            "eval/epoch"),
        new ArrayList<>(evals.get(0).keySet()));
    // linear decay from 2e-3 to 0 over 6 steps: step k uses 2e-3·(1 − k/6)
    for (int k = 0; k < 6; k++) {
      assertEquals(2e-3 * (1 - k / 6.0), learningRates.get(k), 1e-12);
    }
  }

  @Test
  void onlyTheGivenTrainableParametersMove() {
    try (RewardModel rm = RewardModel.random(TestModels.nano(VOCAB), 3)) {
      rm.setTrainable(false);
      rm.scoreWeight().setRequiresGradient(true);
      Map<String, NDArray> headOnly = new LinkedHashMap<>();
      headOnly.put(RewardModel.SCORE_WEIGHT, rm.scoreWeight());
      Map<String, float[]> before = snapshot(rm.parameters());
      new RewardTrainer(rm, fast().toBuilder().optEpochs(1).build(), headOnly)
          .train(separablePairs(32, 6), List.of());
      Map<String, float[]> after = snapshot(rm.parameters());
      for (String name : before.keySet()) {
        if (name.equals(RewardModel.SCORE_WEIGHT)) {
          assertFalse(java.util.Arrays.equals(before.get(name), after.get(name)), name);
        } else {
          assertArrayEquals(before.get(name), after.get(name), 0f, name);
        }
      }
    }
  }

  @Test
  void frozenArraysCannotBeTrained() {
    try (RewardModel rm = RewardModel.random(TestModels.nano(VOCAB), 3)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  new RewardTrainer(
                      rm, fast(), Map.of(RewardModel.SCORE_WEIGHT, rm.scoreWeight())));
      assertTrue(e.getMessage().contains("score.weight"), e.getMessage());
    }
  }

  @Test
  void trainingLeavesNoArraysBehindInTheModelsManager() {
    try (RewardModel rm = RewardModel.random(TestModels.nano(VOCAB), 3)) {
      int before = rm.manager().getManagedArrays().size();
      RewardTrainer trainer = new RewardTrainer(rm, fast().toBuilder().optEpochs(1).build());
      trainer.train(separablePairs(32, 8), separablePairs(8, 9));
      trainer.evaluate(separablePairs(8, 10));
      assertEquals(before, rm.manager().getManagedArrays().size());
    }
  }

  @Test
  void aNonFiniteLossStopsTrainingWithAHint() {
    try (RewardModel rm = RewardModel.random(TestModels.nano(VOCAB), 3)) {
      rm.scoreWeight().set(new NDIndex("0, 0"), Float.NaN);
      RewardTrainer trainer = new RewardTrainer(rm, fast());
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class, () -> trainer.train(separablePairs(16, 11), List.of()));
      assertTrue(e.getMessage().contains("learningRate"), e.getMessage());
      assertTrue(e.getMessage().contains("step 1"), e.getMessage());
    }
  }

  @Test
  void aDivergenceLeavesTheWeightsOfTheLastGoodStep() {
    try (RewardModel rm = RewardModel.random(TestModels.nano(VOCAB), 3)) {
      rm.scoreWeight().set(new NDIndex("0, 0"), Float.NaN);
      Map<String, float[]> before = new LinkedHashMap<>();
      rm.parameters().forEach((k, v) -> before.put(k, v.toFloatArray()));
      RewardTrainer trainer = new RewardTrainer(rm, fast());
      assertThrows(
          DivergenceException.class, () -> trainer.train(separablePairs(16, 11), List.of()));
      rm.parameters().forEach((k, v) -> assertArrayEquals(before.get(k), v.toFloatArray(), k));
    }
  }

  @Test
  void sameSeedGivesTheSameTrainedScores() {
    List<TokenizedPair> train = separablePairs(32, 12);
    List<long[]> probe = List.of(new long[] {3, 1, 5}, new long[] {4, 2, 6, 7});
    float[][] scores = new float[2][];
    for (int run = 0; run < 2; run++) {
      try (RewardModel rm = RewardModel.random(TestModels.nano(VOCAB), 3)) {
        new RewardTrainer(rm, fast().toBuilder().optEpochs(1).build()).train(train, List.of());
        scores[run] = rm.scoreIds(probe);
      }
    }
    assertArrayEquals(scores[0], scores[1], 0f);
  }

  private static Map<String, float[]> snapshot(Map<String, NDArray> params) {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }
}
