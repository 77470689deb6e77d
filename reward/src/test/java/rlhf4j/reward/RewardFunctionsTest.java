package rlhf4j.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rlhf4j.reward.RewardFunction.Sample;
import rlhf4j.reward.builtin.KeywordReward;
import rlhf4j.reward.builtin.LengthReward;
import rlhf4j.reward.builtin.RegexReward;
import rlhf4j.reward.fixtures.ConstantReward;

class RewardFunctionsTest {
  private static final List<Sample> TWO = List.of(Sample.of("q", "abc"), Sample.of("q", "abcdef"));

  @Test
  void builtinsAreRegisteredByShortName() {
    assertTrue(
        RewardFunctions.providers().keySet().containsAll(List.of("keyword", "length", "regex")),
        RewardFunctions.providers().keySet().toString());
  }

  @Test
  void lengthLoadsByShortNameWithOptions() {
    RewardFunction r = RewardFunctions.load("length", Map.of("target", "4", "scale", "0.5"));
    assertInstanceOf(LengthReward.class, r);
    assertArrayEquals(new float[] {-0.5f, -1.0f}, r.score(TWO));
  }

  @Test
  void keywordAndRegexLoadByShortName() {
    RewardFunction k = RewardFunctions.load("keyword", Map.of("keywords", "DEF, zzz"));
    assertInstanceOf(KeywordReward.class, k);
    assertArrayEquals(new float[] {0f, 0.5f}, k.score(TWO));
    RewardFunction r = RewardFunctions.load("regex", Map.of("pattern", "^abc$", "miss", "-1"));
    assertInstanceOf(RegexReward.class, r);
    assertArrayEquals(new float[] {1f, -1f}, r.score(TWO));
  }

  @Test
  void providerFromTestClasspathIsFoundByServiceLoader() {
    RewardFunction r = RewardFunctions.load("test-constant", Map.of("value", "2"));
    assertArrayEquals(new float[] {2f, 2f}, r.score(TWO));
  }

  @Test
  void classNameWithPublicNoArgConstructorLoads() {
    RewardFunction r = RewardFunctions.load(ConstantReward.class.getName());
    assertInstanceOf(ConstantReward.class, r);
    assertArrayEquals(new float[] {0.25f, 0.25f}, r.score(TWO));
  }

  @Test
  void classNameWithOptionsUsesTheMapConstructor() {
    RewardFunction r = RewardFunctions.load(ConstantReward.class.getName(), Map.of("value", "3"));
    assertArrayEquals(new float[] {3f, 3f}, r.score(TWO));
  }

  @Test
  void unknownShortNameListsKnownNames() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RewardFunctions.load("lenght"));
    assertTrue(e.getMessage().contains("unknown reward 'lenght'"), e.getMessage());
    assertTrue(e.getMessage().contains("length"), e.getMessage());
  }

  @Test
  void missingClassSaysNotFound() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> RewardFunctions.load("com.example.NoSuchReward"));
    assertTrue(e.getMessage().contains("'com.example.NoSuchReward' not found"), e.getMessage());
  }

  @Test
  void classOfWrongTypeIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> RewardFunctions.load("java.lang.String"));
    assertTrue(e.getMessage().contains("does not implement"), e.getMessage());
  }

  @Test
  void classWithoutPublicNoArgConstructorIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardFunctions.load("rlhf4j.reward.fixtures.NoDefaultConstructorReward"));
    assertTrue(e.getMessage().contains("has no public no-arg constructor"), e.getMessage());
  }

  @Test
  void abstractClassIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardFunctions.load("rlhf4j.reward.fixtures.AbstractReward"));
    assertTrue(e.getMessage().contains("abstract"), e.getMessage());
  }

  @Test
  void throwingConstructorIsReportedWithCause() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardFunctions.load("rlhf4j.reward.fixtures.ThrowingConstructorReward"));
    assertInstanceOf(IllegalStateException.class, e.getCause());
    assertTrue(e.getMessage().contains("model file missing"), e.getMessage());
  }

  @Test
  void unknownOptionAndMissingRequiredOptionAreNamed() {
    IllegalArgumentException unknown =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardFunctions.load("length", Map.of("target", "3", "tagret", "4")));
    assertTrue(unknown.getMessage().contains("unknown option 'tagret'"), unknown.getMessage());
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> RewardFunctions.load("length"));
    assertTrue(missing.getMessage().contains("needs option 'target'"), missing.getMessage());
    IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardFunctions.load("length", Map.of("target", "3", "unit", "words")));
    assertTrue(bad.getMessage().contains("'words'"), bad.getMessage());
  }
}
