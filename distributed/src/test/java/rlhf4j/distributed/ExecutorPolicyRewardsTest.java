package rlhf4j.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import rlhf4j.reward.RewardFunction;

/** The executor's reward cache: one instance per spec, closed and forgotten by clearAll. */
class ExecutorPolicyRewardsTest {
  /** A reward holding a resource: counts its closes. */
  public static final class Holding implements RewardFunction, AutoCloseable {
    static final AtomicInteger CLOSED = new AtomicInteger();

    @Override
    public float[] score(List<Sample> batch) {
      return new float[batch.size()];
    }

    @Override
    public void close() {
      CLOSED.incrementAndGet();
    }
  }

  @Test
  void clearAllClosesTheCachedRewardsAndALaterTaskBuildsAFreshOne() {
    RewardSpec spec = RewardSpec.of(Holding.class.getName());
    Holding.CLOSED.set(0);
    RewardFunction first = ExecutorPolicy.reward(spec);
    assertSame(first, ExecutorPolicy.reward(spec), "one instance per JVM");
    ExecutorPolicy.clearAll();
    assertEquals(1, Holding.CLOSED.get(), "closed once");
    RewardFunction again = ExecutorPolicy.reward(spec);
    assertNotSame(first, again);
    ExecutorPolicy.clearAll();
    assertEquals(2, Holding.CLOSED.get());
  }
}
