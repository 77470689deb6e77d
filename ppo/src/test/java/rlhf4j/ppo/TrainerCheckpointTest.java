package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import rlhf4j.ppo.rloo.RlooConfig;

class TrainerCheckpointTest {
  @Test
  void configsWithArraysDescribeByContent() {
    RlooConfig a = RlooConfig.builder().rewardClipRange(new double[] {-1, 1}).build();
    RlooConfig b = RlooConfig.builder().rewardClipRange(new double[] {-1, 1}).build();
    assertEquals(TrainerCheckpoint.describe(a), TrainerCheckpoint.describe(b));
    assertTrue(TrainerCheckpoint.describe(a).contains("rewardClipRange=[-1.0, 1.0]"));
    assertNotEquals(
        TrainerCheckpoint.describe(a),
        TrainerCheckpoint.describe(RlooConfig.builder().beta(0.1).build()));
  }
}
