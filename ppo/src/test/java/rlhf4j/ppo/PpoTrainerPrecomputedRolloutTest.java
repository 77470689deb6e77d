package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.Rollout;

/**
 * A source that brings scores and reference log-probs (a distributed one computes them where it
 * generates): the trainer uses them instead of calling its reward or running the reference, and
 * merges the source's numbers into the step's stats.
 */
class PpoTrainerPrecomputedRolloutTest {
  @Test
  void scoresAndReferenceLogProbsFromTheSourceReplaceTheTrainersOwn() {
    Map<String, byte[]> expected;
    try (PpoTrainerSeamsTest.World w =
        new PpoTrainerSeamsTest.World(PpoTrainerTest.ppo().build(), null)) {
      w.trainer.train(PpoCheckpointTest.PROMPTS, PpoCheckpointTest.REWARD, 1, null);
      expected = PpoTrainerSeamsTest.trainable(w.trainer);
    }
    RewardFunction neverCalled =
        batch -> {
          throw new AssertionError("the trainer scored a rollout that came with scores");
        };
    try (PpoTrainerSeamsTest.World w =
        new PpoTrainerSeamsTest.World(
            PpoTrainerTest.ppo().build(),
            local ->
                new rlhf4j.rollout.RolloutSource() {
                  @Override
                  public Rollout rollout(List<long[]> prompts, long step) {
                    Rollout r = local.rollout(prompts, step);
                    float[] scores = PpoCheckpointTest.REWARD.score(samples(r));
                    // a fresh adapter: the reference's log-probs are the policy's
                    return new Rollout(
                        r.queries(),
                        r.responses(),
                        r.logProbs(),
                        r.values(),
                        r.texts(),
                        r.endedWithEos(),
                        r.logProbs(),
                        scores);
                  }

                  @Override
                  public Map<String, Double> lastRolloutStats() {
                    return Map.of("distributed/broadcast_bytes", 123.0);
                  }
                })) {
      w.trainer.train(PpoCheckpointTest.PROMPTS, neverCalled, 1, null);
      Map<String, byte[]> actual = PpoTrainerSeamsTest.trainable(w.trainer);
      assertEquals(expected.keySet(), actual.keySet());
      for (String k : expected.keySet()) {
        float[] e = floats(expected.get(k));
        float[] a = floats(actual.get(k));
        for (int i = 0; i < e.length; i++) {
          assertEquals(e[i], a[i], 1e-6, k + "[" + i + "]");
        }
      }
      assertEquals(123.0, w.stats.get(0).get("distributed/broadcast_bytes"));
      assertEquals(0.0, w.stats.get(0).get("objective/kl"), 1e-6);
    }
  }

  private static List<RewardFunction.Sample> samples(Rollout r) {
    return java.util.stream.IntStream.range(0, r.size())
        .mapToObj(i -> new RewardFunction.Sample("", "", r.queries().get(i), r.responses().get(i)))
        .toList();
  }

  private static float[] floats(byte[] b) {
    java.nio.FloatBuffer f =
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
    float[] out = new float[f.remaining()];
    f.get(out);
    return out;
  }
}
