package rlhf4j.reward.builtin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import rlhf4j.reward.RewardException;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunction.Sample;

class BuiltinRewardsTest {
  private static List<Sample> responses(String... rs) {
    return java.util.Arrays.stream(rs).map(r -> Sample.of("prompt", r)).toList();
  }

  @Test
  void regexFindLooksAnywhereAndFullNeedsWholeResponse() {
    List<Sample> b = responses("<think>a</think> 42", "answer: 42", "no");
    Pattern p = Pattern.compile("\\d+");
    assertArrayEquals(
        new float[] {1f, 1f, 0f}, new RegexReward(p, RegexReward.Mode.FIND, 1f, 0f).score(b));
    assertArrayEquals(
        new float[] {-1f, -1f, -1f}, new RegexReward(p, RegexReward.Mode.FULL, 2f, -1f).score(b));
    assertArrayEquals(
        new float[] {2f},
        new RegexReward(p, RegexReward.Mode.FULL, 2f, -1f).score(responses("42")));
  }

  @Test
  void regexProviderHonoursIgnoreCaseAndDotall() {
    List<Sample> b = responses("<THINK>x\ny</THINK>");
    RewardFunctionProviderHelper h = new RewardFunctionProviderHelper(new RegexReward.Provider());
    assertArrayEquals(new float[] {0f}, h.create(Map.of("pattern", "<think>.*</think>")).score(b));
    assertArrayEquals(
        new float[] {0f},
        h.create(Map.of("pattern", "<think>.*</think>", "ignoreCase", "true")).score(b));
    assertArrayEquals(
        new float[] {1f},
        h.create(Map.of("pattern", "<think>.*</think>", "ignoreCase", "true", "dotall", "true"))
            .score(b));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> h.create(Map.of("pattern", "(")));
    assertTrue(e.getMessage().contains("not a valid regular expression"), e.getMessage());
  }

  @Test
  void lengthInCharsCountsCodePoints() {
    LengthReward r = new LengthReward(5, LengthReward.Unit.CHARS, 1f);
    // "hello" = 5, "hi" = 2, two emoji = 2 code points (4 UTF-16 chars), "" = 0
    assertArrayEquals(
        new float[] {0f, -3f, -3f, -5f},
        r.score(responses("hello", "hi", "\uD83D\uDE00\uD83D\uDE00", "")));
    assertArrayEquals(
        new float[] {-0.5f},
        new LengthReward(3, LengthReward.Unit.CHARS, 0.25f).score(responses("a")));
  }

  @Test
  void lengthInTokensUsesResponseIdsAndNeedsThem() {
    LengthReward r = new LengthReward(2, LengthReward.Unit.TOKENS, 1f);
    List<Sample> b =
        List.of(
            new Sample("p", "abc", new long[] {1}, new long[] {5, 6, 7, 8}),
            new Sample("p", "ab", new long[] {1}, new long[] {5, 6}));
    assertArrayEquals(new float[] {-2f, 0f}, r.score(b));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> r.score(responses("text")));
    assertTrue(e.getMessage().contains("sample 0"), e.getMessage());
    assertTrue(e.getMessage().contains("unit=chars"), e.getMessage());
  }

  @Test
  void keywordModesCountSubstringPresence() {
    List<Sample> b = responses("Thanks, here is the ANSWER", "answer", "nothing");
    List<String> ks = List.of("answer", "thanks");
    assertArrayEquals(
        new float[] {1f, 0.5f, 0f},
        new KeywordReward(ks, KeywordReward.Mode.FRACTION, true).score(b));
    assertArrayEquals(
        new float[] {1f, 1f, 0f}, new KeywordReward(ks, KeywordReward.Mode.ANY, true).score(b));
    assertArrayEquals(
        new float[] {1f, 0f, 0f}, new KeywordReward(ks, KeywordReward.Mode.ALL, true).score(b));
    assertArrayEquals(
        new float[] {0f, 0.5f, 0f},
        new KeywordReward(ks, KeywordReward.Mode.FRACTION, false).score(b));
  }

  @Test
  void weightedSumAddsWeightedTerms() {
    List<Sample> b = responses("hello", "hi yes");
    WeightedSumReward r =
        WeightedSumReward.builder()
            .add(0.5, new LengthReward(5, LengthReward.Unit.CHARS, 1f)) // 0, -1
            .add(2.0, new KeywordReward(List.of("yes"), KeywordReward.Mode.ANY, true)) // 0, 1
            .build();
    assertArrayEquals(new float[] {0f, -0.5f + 2f}, r.score(b));
    assertEquals("weighted_sum(0.5*length + 2.0*keyword)", r.name());
  }

  @Test
  void weightedSumErrorNamesTheBadTerm() {
    WeightedSumReward r =
        WeightedSumReward.builder()
            .add(1.0, new LengthReward(1, LengthReward.Unit.CHARS, 1f))
            .add(1.0, RewardFunction.named("judge", b -> new float[] {Float.NaN}))
            .build();
    RewardException e = assertThrows(RewardException.class, () -> r.score(responses("x")));
    assertEquals("judge", e.rewardName());
  }

  @Test
  void missingEosPenaltySubtractsOnlyWithoutEosId() {
    RewardFunction one =
        b -> {
          float[] s = new float[b.size()];
          java.util.Arrays.fill(s, 1f);
          return s;
        };
    MissingEosPenalty r = MissingEosPenalty.builder(one).eosId(2).penalty(3f).build();
    List<Sample> b =
        List.of(
            new Sample("p", "a</s>", new long[0], new long[] {7, 2}),
            new Sample("p", "a</s>b", new long[0], new long[] {7, 2, 9}),
            new Sample("p", "ab", new long[0], new long[] {7, 9}));
    assertArrayEquals(new float[] {1f, 1f, -2f}, r.score(b));
    MissingEosPenalty ends =
        MissingEosPenalty.builder(one)
            .eosId(2)
            .penalty(3f)
            .match(MissingEosPenalty.Match.ENDS_WITH)
            .build();
    assertArrayEquals(new float[] {1f, -2f, -2f}, ends.score(b));
  }

  @Test
  void missingEosPenaltyChecksStopStringOnText() {
    RewardFunction zero = b -> new float[b.size()];
    MissingEosPenalty r = MissingEosPenalty.builder(zero).stopString("\n").build(); // penalty 1
    assertArrayEquals(new float[] {0f, -1f}, r.score(responses("line\nmore", "no newline")));
    MissingEosPenalty ends =
        MissingEosPenalty.builder(zero)
            .stopString("\n")
            .match(MissingEosPenalty.Match.ENDS_WITH)
            .build();
    assertArrayEquals(new float[] {-1f, 0f}, ends.score(responses("line\nmore", "done\n")));
  }

  @Test
  void missingEosPenaltyNeedsIdsWhenOnlyEosIdIsSet() {
    MissingEosPenalty r = MissingEosPenalty.builder(b -> new float[b.size()]).eosId(2).build();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> r.score(responses("text")));
    assertTrue(e.getMessage().contains("set stopString"), e.getMessage());
    IllegalArgumentException none =
        assertThrows(
            IllegalArgumentException.class,
            () -> MissingEosPenalty.builder(b -> new float[b.size()]).build());
    assertTrue(none.getMessage().contains("eosId or stopString"), none.getMessage());
  }

  @Test
  void missingEosPenaltyGuardsItsInnerReward() {
    MissingEosPenalty r =
        MissingEosPenalty.builder(RewardFunction.named("inner", b -> new float[0]))
            .stopString("!")
            .build();
    RewardException e = assertThrows(RewardException.class, () -> r.score(responses("x")));
    assertEquals("inner", e.rewardName());
  }

  /** Calls a provider; keeps the test independent of ServiceLoader. */
  private record RewardFunctionProviderHelper(rlhf4j.reward.RewardFunctionProvider p) {
    RewardFunction create(Map<String, String> options) {
      RewardFunction r = p.create(options);
      assertSame(r.getClass(), RegexReward.class);
      return r;
    }
  }
}
