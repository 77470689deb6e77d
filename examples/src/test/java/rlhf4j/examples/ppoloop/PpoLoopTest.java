package rlhf4j.examples.ppoloop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PpoLoopTest {

  @Test
  void meanRewardOfTheLastStepsExceedsTheFirstSteps() {
    PpoLoop.Result r = PpoLoop.run(20, 0);
    assertEquals(20, r.meanRewards().size());
    for (double m : r.meanRewards()) {
      assertTrue(m >= 0 && m <= 1, "a mean of fractions lies in [0, 1], got " + m);
    }
    // 32 of 512 ids are favourites: a random policy scores about 0.06
    assertTrue(r.first(3) < 0.15, "first steps " + r.first(3));
    assertTrue(
        r.last(3) > r.first(3) + 0.2,
        "mean reward should rise: first 3 steps " + r.first(3) + ", last 3 " + r.last(3));
  }

  @Test
  void promptsAreSeededAndInsideTheVocabulary() {
    var a = PpoLoop.randomPrompts(10, 512, 4);
    var b = PpoLoop.randomPrompts(10, 512, 4);
    assertEquals(10, a.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(java.util.Arrays.toString(a.get(i)), java.util.Arrays.toString(b.get(i)));
      assertEquals(4, a.get(i).length);
      for (long id : a.get(i)) {
        assertTrue(id >= 0 && id < 512, "id " + id);
      }
    }
  }
}
