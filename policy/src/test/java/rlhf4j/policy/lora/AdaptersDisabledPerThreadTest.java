package rlhf4j.policy.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.NoGrad;

/**
 * {@link LoraModel#adaptersDisabled()} is scoped to the calling thread: one model serves a
 * reference pass (adapters off) and a rollout (adapters on) on two threads at the same time.
 */
class AdaptersDisabledPerThreadTest {
  private static final LoraConfig ALL_LINEAR =
      LoraConfig.builder().r(4).loraAlpha(8).allLinear().build();
  private static final long WAIT_S = 60;

  @Test
  void eachThreadGetsItsOwnLogitsWhileTheyOverlap() throws Exception {
    try (CausalLM model = LoraTesting.tiny("llama-tiny")) {
      float[] base = LoraTesting.logits(model);
      try (LoraModel lora = LoraModel.inject(model, ALL_LINEAR, 2)) {
        LoraTesting.randomizeB(lora, 3, 0.1);
        float[] adapted = LoraTesting.logits(model);
        assertTrue(LoraTesting.maxAbsDiff(base, adapted) > 1e-3, "the adapter changes logits");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
          for (int round = 0; round < 3; round++) {
            CountDownLatch bothReady = new CountDownLatch(2);
            CountDownLatch rolloutDone = new CountDownLatch(1);
            Callable<float[]> reference =
                () -> {
                  try (NoGrad ng = NoGrad.enter();
                      var off = lora.adaptersDisabled()) {
                    assertFalse(lora.adaptersEnabled());
                    await(countDownAndGet(bothReady));
                    float[] logits = LoraTesting.logits(model);
                    // keep adapters off here until the other thread's forward is done
                    await(rolloutDone);
                    assertFalse(lora.adaptersEnabled());
                    return logits;
                  }
                };
            Callable<float[]> rollout =
                () -> {
                  try (NoGrad ng = NoGrad.enter()) {
                    await(countDownAndGet(bothReady));
                    try {
                      assertTrue(lora.adaptersEnabled(), "another thread's switch is not ours");
                      return LoraTesting.logits(model);
                    } finally {
                      rolloutDone.countDown();
                    }
                  }
                };
            Future<float[]> ref = pool.submit(reference);
            Future<float[]> pol = pool.submit(rollout);
            assertArrayEquals(base, ref.get(WAIT_S, TimeUnit.SECONDS), "adapters off: the base");
            assertArrayEquals(adapted, pol.get(WAIT_S, TimeUnit.SECONDS), "adapters on");
          }
        } finally {
          pool.shutdownNow();
        }
        assertTrue(lora.adaptersEnabled());
        assertArrayEquals(adapted, LoraTesting.logits(model));
      }
    }
  }

  @Test
  void mergingIsRefusedWhileAnotherThreadHasAdaptersOff() throws Exception {
    try (CausalLM model = LoraTesting.tiny("gpt2-tiny");
        LoraModel lora = LoraModel.inject(model, ALL_LINEAR, 4)) {
      CountDownLatch off = new CountDownLatch(1);
      CountDownLatch checked = new CountDownLatch(1);
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        Future<?> holder =
            pool.submit(
                () -> {
                  try (NoGrad ng = NoGrad.enter();
                      var handle = lora.adaptersDisabled()) {
                    off.countDown();
                    await(checked);
                  }
                  return null;
                });
        await(off, holder);
        assertTrue(lora.adaptersEnabled(), "this thread still has adapters on");
        IllegalStateException e = assertThrows(IllegalStateException.class, lora::merge);
        assertTrue(e.getMessage().contains("adaptersDisabled()"), e.getMessage());
        checked.countDown();
        holder.get(WAIT_S, TimeUnit.SECONDS);
        lora.merge();
        assertTrue(lora.isMerged());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void mergedAdapterIsMergedAgainWhenTheLastThreadTurnsAdaptersOn() throws Exception {
    try (CausalLM model = LoraTesting.tiny("gpt2-tiny");
        LoraModel lora = LoraModel.inject(model, ALL_LINEAR, 5)) {
      lora.merge();
      CountDownLatch off = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        Future<?> holder =
            pool.submit(
                () -> {
                  try (NoGrad ng = NoGrad.enter();
                      var handle = lora.adaptersDisabled()) {
                    off.countDown();
                    await(release);
                  }
                  return null;
                });
        await(off, holder);
        try (var mine = lora.adaptersDisabled()) {
          assertFalse(lora.isMerged());
        }
        assertFalse(lora.isMerged(), "the other thread still has adapters off");
        release.countDown();
        holder.get(WAIT_S, TimeUnit.SECONDS);
        assertTrue(lora.isMerged(), "merged again once no thread has adapters off");
        assertEquals(true, lora.adaptersEnabled());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  private static CountDownLatch countDownAndGet(CountDownLatch latch) {
    latch.countDown();
    return latch;
  }

  /** Waits for {@code latch}, failing with {@code other}'s exception if it ends first. */
  private static void await(CountDownLatch latch, Future<?> other) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (!latch.await(10, TimeUnit.MILLISECONDS)) {
      if (other.isDone()) {
        other.get(); // throws the other thread's failure
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the other thread did not arrive within " + WAIT_S + " s");
      }
    }
  }

  private static void await(CountDownLatch latch) throws InterruptedException {
    if (!latch.await(WAIT_S, TimeUnit.SECONDS)) {
      throw new AssertionError("the other thread did not arrive within " + WAIT_S + " s");
    }
  }
}
