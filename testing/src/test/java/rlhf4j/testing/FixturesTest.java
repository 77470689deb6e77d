package rlhf4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** Shared fixtures are found as real files and golden logits read with their shapes. */
class FixturesTest {

  @Test
  void namedFolderIsARealFolderWithTheHfFiles() {
    var dir = Fixtures.path("hf/gpt2-tiny");
    assertTrue(Files.isDirectory(dir), dir.toString());
    for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
      assertTrue(Files.isRegularFile(dir.resolve(f)), f);
    }
    assertTrue(Files.isRegularFile(Fixtures.path("hf/README.md")));
    assertTrue(Files.isRegularFile(Fixtures.path("hf/VERSIONS.json")));
    assertTrue(Files.isRegularFile(Fixtures.path("hf/ppo/trl-classic-step.in.json")));
  }

  @Test
  void missingFixtureNamesItselfAndTheDependencyToDeclare() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> Fixtures.path("hf/no-such-model"));
    assertTrue(e.getMessage().contains("fixtures/hf/no-such-model"), e.getMessage());
    assertTrue(e.getMessage().contains("<artifactId>testing</artifactId>"), e.getMessage());
  }

  @Test
  void goldenLogitsHaveTheirDocumentedShapes() {
    Fixtures.Logits g = Fixtures.logits("gpt2-tiny.base");
    assertEquals(2, g.ids().length); // two rows of 8 tokens
    assertEquals(8, g.ids()[0].length);
    assertEquals(8, g.logits()[0].length);
    assertEquals(300, g.logits()[0][0].length); // vocab 300
    assertEquals(7, g.tokenLogprobs()[0].length); // T - 1
    long[][] mask = Fixtures.attentionMask("gpt2-tiny.padded");
    assertEquals(Fixtures.logits("gpt2-tiny.padded").ids().length, mask.length);
  }

  @Test
  void maxAbsDiffFlattensTheGoldenAndRefusesAnotherSize() {
    float[][][] golden = {{{1f, 2f}, {3f, 4f}}};
    assertEquals(0.5, Fixtures.maxAbsDiff(golden, new float[] {1f, 2f, 3.5f, 4f}));
    assertEquals(0.0, Fixtures.maxAbsDiff(golden[0], new float[] {1f, 2f, 3f, 4f}));
    assertThrows(AssertionError.class, () -> Fixtures.maxAbsDiff(golden, new float[] {1f, 2f}));
  }

  @Test
  void floatMaxAbsDiffIsTheLargestElementGap() {
    assertEquals(0.0, FloatArrays.maxAbsDiff(new float[0], new float[0]));
    assertEquals(2.0, FloatArrays.maxAbsDiff(new float[] {1f, -1f}, new float[] {1.5f, 1f}));
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> FloatArrays.maxAbsDiff(new float[] {1f}, new float[] {1f, 2f}));
    assertTrue(e.getMessage().contains("1") && e.getMessage().contains("2"), e.getMessage());
  }
}
