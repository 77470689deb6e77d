package rlhf4j.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.rollout.sampling.Sampler;
import rlhf4j.rollout.sampling.SamplingConfig;

/** Per-prompt sampling streams: a row's tokens do not depend on which prompts share its batch. */
class PerPromptSeedsTest {
  private static final List<long[]> PROMPTS =
      List.of(
          new long[] {5, 6, 7},
          new long[] {11, 12, 13, 14},
          new long[] {30, 31},
          new long[] {40, 41, 42},
          new long[] {50, 51, 52, 53});

  private static final GenerationConfig GENERATION =
      GenerationConfig.builder().maxNewTokens(8).sampling(SamplingConfig.ofSeed(0)).build();

  @Test
  void splittingTheBatchLeavesEachPromptsTokensUnchanged() {
    try (CausalLM model = Presets.create("nano", 5)) {
      Rollout whole =
          new LocalRolloutSource(model, GENERATION, null, null, 7)
              .perPromptSeeds()
              .rollout(PROMPTS, 2);
      Generator g = new Generator(model, GENERATION);
      // prompts 1..3 alone, seeded by their indices in the whole batch
      Rollout part = g.generate(PROMPTS.subList(1, 4), PromptSeeds.range(7, 2, 1, 3), null);
      Rollout single = g.generate(PROMPTS.subList(4, 5), PromptSeeds.range(7, 2, 4, 1), null);
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(whole.responses().get(1 + i), part.responses().get(i), "row " + (1 + i));
        float[] a = whole.logProbs().get(1 + i);
        float[] b = part.logProbs().get(i);
        for (int t = 0; t < a.length; t++) {
          assertEquals(a[t], b[t], 1e-6, "row " + (1 + i) + " token " + t);
        }
      }
      assertArrayEquals(whole.responses().get(4), single.responses().get(0));
    }
  }

  @Test
  void theDefaultSourceKeepsOneStreamPerBatch() {
    try (CausalLM model = Presets.create("nano", 5)) {
      LocalRolloutSource source = new LocalRolloutSource(model, GENERATION, null, null, 7);
      Rollout batch = source.rollout(PROMPTS, 2);
      Rollout perPrompt = source.perPromptSeeds().rollout(PROMPTS, 2);
      boolean differs = false;
      for (int i = 0; i < PROMPTS.size(); i++) {
        differs |= !Arrays.equals(batch.responses().get(i), perPrompt.responses().get(i));
      }
      assertTrue(differs, "the two schemes draw different numbers");
    }
  }

  @Test
  void aPerRowSamplerNeedsOneSeedPerRowAndCannotSeek() {
    Sampler s = Sampler.perRow(SamplingConfig.ofSeed(0), List.of(), new long[] {1, 2});
    assertThrows(
        IllegalArgumentException.class, () -> s.sample(new float[3 * 4], 4, null, null, 0));
    assertThrows(IllegalStateException.class, () -> s.seekTo(3));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Generator(null, GENERATION).generate(PROMPTS, new long[] {1}, null));
  }
}
