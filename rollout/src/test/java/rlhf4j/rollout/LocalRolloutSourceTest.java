package rlhf4j.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.train.Seeds;
import rlhf4j.rollout.sampling.SamplingConfig;

class LocalRolloutSourceTest {
  private static final List<long[]> PROMPTS =
      List.of(new long[] {5, 6, 7}, new long[] {11, 12, 13, 14}, new long[] {30, 31});

  private static GenerationConfig generation(long seed) {
    return GenerationConfig.builder().maxNewTokens(8).sampling(SamplingConfig.ofSeed(seed)).build();
  }

  @Test
  void theSamplerSeedComesFromTheRunSeedAndTheStepOnly() {
    try (CausalLM model = Presets.create("nano", 5)) {
      RolloutSource source = new LocalRolloutSource(model, generation(0), null, null, 7);
      Rollout a = source.rollout(PROMPTS, 3);
      Rollout again = source.rollout(PROMPTS, 3); // no hidden call counter
      Rollout byHand =
          new Generator(model, generation(Seeds.mix(7, 3, Seeds.SAMPLING))).generate(PROMPTS);
      Rollout next = source.rollout(PROMPTS, 4);
      boolean differs = false;
      for (int i = 0; i < PROMPTS.size(); i++) {
        assertArrayEquals(a.responses().get(i), again.responses().get(i), "row " + i);
        assertArrayEquals(byHand.responses().get(i), a.responses().get(i), "row " + i);
        assertArrayEquals(byHand.logProbs().get(i), a.logProbs().get(i), "row " + i);
        differs |= !Arrays.equals(a.responses().get(i), next.responses().get(i));
      }
      assertEquals(PROMPTS.size(), a.size());
      assertTrue(differs, "another step samples other tokens");
    }
  }

  @Test
  void aLambdaFitsTheInterface() {
    RolloutSource fixed =
        (prompts, step) ->
            new Rollout(
                prompts,
                prompts.stream().map(p -> new long[] {step}).toList(),
                prompts.stream().map(p -> new float[] {0f}).toList(),
                null,
                null,
                new boolean[prompts.size()]);
    Rollout r = fixed.rollout(PROMPTS, 9);
    assertArrayEquals(new long[] {9}, r.responses().get(2));
  }
}
