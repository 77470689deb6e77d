package rlhf4j.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.reward.RewardFunction.Sample;

class GuardedRewardTest {
  private static final List<Sample> BATCH =
      List.of(Sample.of("p0", "r0"), Sample.of("p1", "r1"), Sample.of("p2", "r2"));

  @Test
  void validScoresPassThroughUnchanged() {
    GuardedReward g = GuardedReward.of(b -> new float[] {1f, -2f, 3.5f});
    assertArrayEquals(new float[] {1f, -2f, 3.5f}, g.score(BATCH));
  }

  @Test
  void nanScoreNamesRewardIndexAndValue() {
    GuardedReward g =
        GuardedReward.of(RewardFunction.named("judge", b -> new float[] {0f, 0f, Float.NaN}));
    RewardException e = assertThrows(RewardException.class, () -> g.score(BATCH));
    assertEquals("judge", e.rewardName());
    assertTrue(e.getMessage().contains("'judge'"), e.getMessage());
    assertTrue(e.getMessage().contains("NaN at index 2"), e.getMessage());
    assertTrue(e.getMessage().contains("must be finite"), e.getMessage());
  }

  @Test
  void infiniteScoreIsRejected() {
    GuardedReward g = GuardedReward.of(b -> new float[] {Float.NEGATIVE_INFINITY, 0f, 0f});
    RewardException e = assertThrows(RewardException.class, () -> g.score(BATCH));
    assertTrue(e.getMessage().contains("-Infinity at index 0"), e.getMessage());
  }

  @Test
  void wrongNumberOfScoresNamesBothCounts() {
    GuardedReward g = GuardedReward.of(RewardFunction.named("short", b -> new float[2]));
    RewardException e = assertThrows(RewardException.class, () -> g.score(BATCH));
    assertTrue(e.getMessage().contains("returned 2 scores for a batch of 3"), e.getMessage());
    assertTrue(e.getMessage().contains("exactly one score per sample"), e.getMessage());
  }

  @Test
  void nullScoresAreRejected() {
    GuardedReward g = GuardedReward.of(b -> null);
    RewardException e = assertThrows(RewardException.class, () -> g.score(BATCH));
    assertTrue(e.getMessage().contains("returned null"), e.getMessage());
  }

  @Test
  void userExceptionIsWrappedWithItsCause() {
    IllegalStateException boom = new IllegalStateException("tokenizer not loaded");
    GuardedReward g =
        GuardedReward.of(
            RewardFunction.named(
                "mine",
                b -> {
                  throw boom;
                }));
    RewardException e = assertThrows(RewardException.class, () -> g.score(BATCH));
    assertSame(boom, e.getCause());
    assertTrue(e.getMessage().contains("'mine' threw"), e.getMessage());
    assertTrue(e.getMessage().contains("tokenizer not loaded"), e.getMessage());
  }

  @Test
  void rewardExceptionFromInsidePassesThroughUnchanged() {
    RewardException inner = new RewardException("inner", "inner failed");
    GuardedReward g =
        GuardedReward.of(
            b -> {
              throw inner;
            });
    assertSame(inner, assertThrows(RewardException.class, () -> g.score(BATCH)));
  }

  @Test
  void guardingTwiceReturnsTheSameGuard() {
    GuardedReward g = GuardedReward.of(b -> new float[b.size()]);
    assertSame(g, GuardedReward.of(g));
  }

  @Test
  void nullSampleInBatchIsACallerMistake() {
    GuardedReward g = GuardedReward.of(b -> new float[b.size()]);
    List<Sample> withNull = new java.util.ArrayList<>(BATCH);
    withNull.set(1, null);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> g.score(withNull));
    assertTrue(e.getMessage().contains("batch[1]"), e.getMessage());
  }

  @Test
  void lambdaIsNamedLambdaUnlessNamed() {
    RewardFunction r = b -> new float[b.size()];
    assertEquals("lambda", r.name());
    assertEquals("judge", RewardFunction.named("judge", r).name());
    assertEquals("judge", GuardedReward.of(RewardFunction.named("judge", r)).name());
  }

  @Test
  void sampleCopiesIdArraysAndComparesByContent() {
    long[] ids = {1, 2, 3};
    Sample s = new Sample("p", "r", new long[] {7}, ids);
    ids[0] = 99;
    assertArrayEquals(new long[] {1, 2, 3}, s.responseIds());
    assertEquals(new Sample("p", "r", new long[] {7}, new long[] {1, 2, 3}), s);
    assertEquals(0, Sample.of("p", "r").responseLength());
  }
}
