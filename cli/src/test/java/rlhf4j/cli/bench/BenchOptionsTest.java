package rlhf4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import rlhf4j.policy.quant.BaseDtype;

/** The bench commands' shared option mixins keep every name and default the commands had. */
class BenchOptionsTest {

  @Test
  void everyBenchTakesTheCommonOptionsWithTheirDefaults() {
    for (Object bench :
        List.of(new ForwardBench(), new GenerateBench(), new PpoBench(), new GrpoBench())) {
      new CommandLine(bench).parseArgs();
      BenchOptions common = common(bench);
      assertEquals("small", common.preset, bench.getClass().getSimpleName());
      assertEquals(2, common.threads);
      assertEquals(0L, common.seed);
      assertEquals("fp32", common.baseDtype);
      assertNull(common.json);
    }
  }

  @Test
  void commonOptionsParseIntoTheMixin() {
    GrpoBench bench = new GrpoBench();
    new CommandLine(bench)
        .parseArgs(
            "--preset=nano", "--threads=1", "--seed=7", "--base-dtype=int8", "--json=out.json");
    assertEquals("nano", bench.common.preset);
    assertEquals(1, bench.common.threads);
    assertEquals(7L, bench.common.seed);
    assertEquals(BaseDtype.INT8, bench.common.quant().baseDtype());
    assertEquals(Path.of("out.json"), bench.common.json);
  }

  @Test
  void aBadBaseDtypeIsAUsageErrorNamingTheOption() {
    ForwardBench bench = new ForwardBench();
    new CommandLine(bench).parseArgs("--base-dtype=int4");
    var e = assertThrows(CommandLine.ParameterException.class, () -> bench.common.quant());
    assertTrue(e.getMessage().startsWith("--base-dtype: "), e.getMessage());
  }

  @Test
  void trainingBenchesShareLoraLengthsAndStepCounts() {
    PpoBench ppo = new PpoBench();
    GrpoBench grpo = new GrpoBench();
    new CommandLine(ppo).parseArgs();
    new CommandLine(grpo).parseArgs();
    for (TrainBenchOptions train : List.of(ppo.train, grpo.train)) {
      assertEquals(16, train.loraR);
      assertEquals(32.0, train.loraAlpha);
      assertEquals(0.05, train.loraDropout);
      assertNull(train.loraTargets);
      assertEquals(1.41e-5, train.lr);
      assertFalse(train.gradientCheckpointing);
      assertFalse(train.releaseFreedMemory);
      assertEquals(1, train.warmup);
      assertEquals(3, train.repeats);
    }
    for (LengthOptions lengths : List.of(ppo.lengths, grpo.lengths)) {
      assertEquals(32, lengths.promptLen);
      assertEquals(32, lengths.newTokens);
    }
    assertEquals(2, ppo.miniBatchSize);
    assertEquals(4, grpo.miniBatchSize);
    assertEquals(1.5, ppo.peak.matmulSeconds);
  }

  @Test
  void perCommandOptionsKeepTheirOwnDefaults() {
    ForwardBench forward = new ForwardBench();
    GenerateBench generate = new GenerateBench();
    new CommandLine(forward).parseArgs();
    new CommandLine(generate).parseArgs();
    assertEquals(5, forward.repeats);
    assertEquals(1, forward.warmup);
    assertEquals(1.5, forward.peak.matmulSeconds);
    assertEquals(3, generate.repeats);
    assertEquals(32, generate.lengths.promptLen);
    assertEquals(32, generate.lengths.newTokens);
  }

  private static BenchOptions common(Object bench) {
    if (bench instanceof ForwardBench b) {
      return b.common;
    }
    if (bench instanceof GenerateBench b) {
      return b.common;
    }
    if (bench instanceof PpoBench b) {
      return b.common;
    }
    return ((GrpoBench) bench).common;
  }
}
