package rlhf4j.examples.customreward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunction.Sample;
import rlhf4j.reward.RewardFunctions;

class CustomRewardTest {
  private static final String CLASS_NAME = "rlhf4j.examples.customreward.LengthWindowReward";

  /** Window [4, 12], penalty 0.5, computed by hand for {@link CustomReward#handMadeSamples}. */
  private static final float[] EXPECTED = {
    1f - 0.5f * 1 / 6, // 6 words, "the" repeats once
    0f, // 1 word: below the window
    0f - 0.5f * 13 / 14, // 14 words above the window, 13 repeats
    0f, // empty
    1f - 0.5f * 3 / 4 // ids 5 5 5 5: 4 units, 3 repeats
  };

  @Test
  void classNameAndShortNameGiveTheHandComputedScores() {
    RewardFunction byClass = RewardFunctions.load(CLASS_NAME);
    RewardFunction byName = RewardFunctions.load(LengthWindowReward.NAME);
    assertInstanceOf(LengthWindowReward.class, byClass);
    assertInstanceOf(LengthWindowReward.class, byName);
    List<Sample> samples = CustomReward.handMadeSamples();
    assertArrayEquals(EXPECTED, byClass.score(samples), 1e-6f);
    assertArrayEquals(EXPECTED, byName.score(samples), 1e-6f);
  }

  @Test
  void shortNameIsRegisteredThroughServiceLoader() {
    assertInstanceOf(
        LengthWindowReward.Provider.class,
        RewardFunctions.providers().get(LengthWindowReward.NAME),
        "providers: " + RewardFunctions.providers().keySet());
  }

  @Test
  void optionsReachTheRewardByBothPaths() {
    Map<String, String> options = Map.of("maxTokens", "5", "repeatPenalty", "1");
    List<Sample> batch = List.of(Sample.of("", "the cat sat on the mat"), Sample.of("", "a b c d"));
    float[] expected = {0f - 1f / 6, 1f}; // 6 words now exceed the window
    assertArrayEquals(expected, RewardFunctions.load(CLASS_NAME, options).score(batch), 1e-6f);
    assertArrayEquals(
        expected, RewardFunctions.load(LengthWindowReward.NAME, options).score(batch), 1e-6f);
  }

  @Test
  void badOptionsAreRejectedNamingTheKey() {
    IllegalArgumentException unknown =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardFunctions.load(LengthWindowReward.NAME, Map.of("maxTokenz", "5")));
    assertTrue(unknown.getMessage().contains("maxTokenz"), unknown.getMessage());
    IllegalArgumentException window =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                RewardFunctions.load(
                    LengthWindowReward.NAME, Map.of("minTokens", "8", "maxTokens", "5")));
    assertTrue(window.getMessage().contains("minTokens 8"), window.getMessage());
  }

  @Test
  void exampleRunScoresAlikeAndCompletesItsPpoSteps() {
    CustomReward.Result r = CustomReward.run(3, 0);
    assertArrayEquals(EXPECTED, r.byClassName(), 1e-6f);
    assertArrayEquals(r.byClassName(), r.byShortName());
    assertEquals(3, r.meanRewards().size());
    for (double m : r.meanRewards()) {
      // 12 new tokens always fall inside the [8, 16] window: 1 minus the repeat penalty
      assertTrue(m <= 1 && m > 0.5, "mean reward " + m);
    }
  }
}
