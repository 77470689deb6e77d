package rlhf4j.policy.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressReporterTest {

  @Test
  void renderShowsCountElapsedAndEta() {
    String s = ProgressReporter.render(5, 10, 20, "sft", "loss 1.0");
    assertTrue(s.startsWith("sft "), s);
    assertTrue(s.contains("############............] 5/10 20s eta 20s  loss 1.0"), s);
  }

  @Test
  void lineGivesStepOfTotalAndTheMessage() {
    ProgressReporter p = new ProgressReporter(System.err, "ppo", 4, false);
    String s = p.line(1, "reward 0.5");
    assertTrue(s.startsWith("step 1/4 (25%)"), s);
    assertTrue(s.contains("eta"), s);
    assertTrue(s.endsWith("  reward 0.5"), s);
    assertEquals("step 4/4 (100%)", p.line(4, null).replaceAll(" [0-9.]+ (step/s|s/step)", ""));
  }

  @Test
  void liveBarDrawsInPlaceAndEndsItsLine() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    try (ProgressReporter p = new ProgressReporter(out, "x", 2, true)) {
      p.update(2, null);
    }
    String s = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(s.startsWith("\r"), s);
    assertTrue(s.endsWith(System.lineSeparator()), s);
  }

  @Test
  void timeReadsAsSecondsOrMinutes() {
    assertEquals("42s", ProgressReporter.time(42));
    assertEquals("3m07s", ProgressReporter.time(187));
  }
}
