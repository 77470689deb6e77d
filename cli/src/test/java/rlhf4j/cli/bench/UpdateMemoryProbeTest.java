package rlhf4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.memory.ProcessMemory;
import rlhf4j.policy.optim.AdamW;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.policy.optim.LrSchedule;

/** The update-phase memory probe measures what the update allocates, and no other phase. */
class UpdateMemoryProbeTest {
  private static final long MB = 1 << 20;

  @Test
  void measuresMemoryAllocatedBetweenTheUpdatesFirstZeroGradAndItsOptimizerStep() {
    assumeTrue(ProcessMemory.resetPeak(), "needs /proc/self/clear_refs");
    try (UpdateMemoryProbe probe =
            new UpdateMemoryProbe(new AdamW(AdamWConfig.defaults(), LrSchedule.constant(1e-3)));
        NDManager m = NDManager.newBaseManager()) {
      // a phase before the update: allocated and freed, must not count
      m.ones(new Shape(48 * MB / 4)).close();
      probe.zeroGrad(Map.of());
      NDArray activations = m.ones(new Shape(64 * MB / 4)); // 64 MiB, pages touched
      probe.zeroGrad(Map.of()); // a second optimizer step of the same update
      probe.step(Map.of());
      activations.close();
      probe.endStep();
      // a step whose update allocates little
      probe.zeroGrad(Map.of());
      probe.step(Map.of());
      probe.endStep();
      probe.endStep(); // a step without an update records nothing
      assertEquals(2, probe.extraMb().size(), probe.extraMb().toString());
      double big = probe.extraMb().get(0);
      double small = probe.extraMb().get(1);
      assertTrue(big >= 60 && big < 100, "64 MiB update measured as " + big + " MB");
      assertTrue(small < 16, "an empty update measured as " + small + " MB");
      assertTrue(BenchSupport.peakRssMb() >= big, "the process peak survives the resets");
    }
  }

  @Test
  void theProcessPeakSurvivesAPhaseReset() {
    double before = BenchSupport.peakRssMb();
    BenchSupport.resetPeakRss();
    assertTrue(BenchSupport.peakRssMb() >= before);
  }
}
