package rlhf4j.examples.arithmetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import rlhf4j.examples.arithmetic.AdditionTask.Problem;
import rlhf4j.policy.sft.SftExample;
import rlhf4j.reward.RewardFunction.Sample;

class AdditionTaskTest {
  private static final long EOS = AdditionTask.EOS;
  private static final long EQ = AdditionTask.EQUALS;

  @Test
  void problemsEncodeAsCharacters() {
    Problem p = new Problem(12, 7);
    assertEquals("12+7=", p.prompt());
    assertArrayEquals(new long[] {1, 2, AdditionTask.PLUS, 7, EQ}, p.promptIds());
    assertArrayEquals(new long[] {1, 9, EOS}, p.answerIds());
    assertArrayEquals(new long[] {1, 9, EQ, 1, 9, EOS}, p.chattyAnswerIds());
    assertEquals(
        "12+7=19=19<eos>", AdditionTask.decode(concat(p.promptIds(), p.chattyAnswerIds())));
    assertArrayEquals(new long[] {0, EOS}, new Problem(0, 0).answerIds());
    assertThrows(IllegalArgumentException.class, () -> AdditionTask.encode("1-2"));
    assertThrows(IllegalArgumentException.class, () -> AdditionTask.decode(new long[] {13}));
  }

  @Test
  void promptsParseBackToTheirProblem() {
    assertEquals(new Problem(12, 7), AdditionTask.parse(new Problem(12, 7).promptIds()));
    assertEquals(new Problem(0, 19), AdditionTask.parse(AdditionTask.encode("0+19=")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> AdditionTask.parse(AdditionTask.encode("12+=")));
    assertTrue(e.getMessage().contains("12+="), e.getMessage());
  }

  @Test
  void statedAnswerNeedsDigitsThenEos() {
    assertEquals(19, AdditionTask.statedAnswer(new long[] {1, 9, EOS}));
    assertEquals(7, AdditionTask.statedAnswer(new long[] {7, EOS, 3}));
    assertEquals(-1, AdditionTask.statedAnswer(new long[] {1, 9})); // cut off
    assertEquals(-1, AdditionTask.statedAnswer(new long[] {EOS})); // no digits
    assertEquals(-1, AdditionTask.statedAnswer(new long[] {1, 9, EQ, 1})); // chatty
    assertEquals(-1, AdditionTask.statedAnswer(new long[] {1, 2, 3, 4, EOS})); // 4 digits
  }

  @Test
  void exactAnswerRewardScoresHandMadeResponses() {
    long[] prompt = new Problem(12, 7).promptIds();
    List<Sample> batch =
        List.of(
            new Sample("", "", prompt, new long[] {1, 9, EOS}), // right
            new Sample("", "", prompt, new long[] {1, 8, EOS}), // wrong but well formed
            new Sample("", "", prompt, new long[] {1, 9, EQ, 1}), // chatty, cut off
            new Sample("", "", prompt, new long[] {AdditionTask.PLUS, EOS})); // malformed
    assertArrayEquals(new float[] {1f, 0.1f, 0f, 0f}, new ExactAnswerReward(0.1f).score(batch), 0f);
    assertArrayEquals(new float[] {1f, 0f, 0f, 0f}, new ExactAnswerReward(0f).score(batch), 0f);
    assertThrows(IllegalArgumentException.class, () -> new ExactAnswerReward(1f));
  }

  @Test
  void splitIsDisjointCompleteAndSeeded() {
    AdditionTask.Split s = AdditionTask.split(20, 100, 3);
    assertEquals(300, s.train().size());
    assertEquals(100, s.heldOut().size());
    Set<Problem> all = new HashSet<>(s.train());
    all.addAll(s.heldOut());
    assertEquals(400, all.size());
    assertEquals(s, AdditionTask.split(20, 100, 3));
    assertNotEquals(s.heldOut(), AdditionTask.split(20, 100, 4).heldOut());
  }

  @Test
  void chattyExamplesFollowTheRate() {
    List<Problem> problems = AdditionTask.split(20, 100, 0).train();
    int chatty = 0;
    for (SftExample e : Arithmetic.chattyExamples(problems, 0.6, 0)) {
      Problem p = AdditionTask.parse(e.prompt());
      if (java.util.Arrays.equals(e.completion(), p.chattyAnswerIds())) {
        chatty++;
      } else {
        assertArrayEquals(p.answerIds(), e.completion());
      }
    }
    assertTrue(chatty > 150 && chatty < 210, "about 60% of 300 expected, got " + chatty);
    assertEquals(
        0,
        Arithmetic.chattyExamples(problems, 0, 0).stream()
            .filter(e -> e.completion().length > 4)
            .count());
  }

  private static long[] concat(long[] a, long[] b) {
    long[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
