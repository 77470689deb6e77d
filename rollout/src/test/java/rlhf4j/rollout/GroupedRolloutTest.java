package rlhf4j.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.rollout.sampling.SamplingConfig;

class GroupedRolloutTest {
  static final List<long[]> PROMPTS = List.of(new long[] {5, 6}, new long[] {7, 8, 9});

  @Test
  void everyPromptIsRepeatedContiguouslyAndRowsKnowTheirGroup() {
    List<List<long[]>> asked = new ArrayList<>();
    RolloutSource echo =
        (prompts, step) -> {
          asked.add(prompts);
          List<long[]> responses = new ArrayList<>();
          prompts.forEach(p -> responses.add(new long[] {1}));
          return new Rollout(
              prompts, responses, List.of(), null, null, new boolean[prompts.size()]);
        };
    GroupedRollout g = GroupedRollout.generate(echo, PROMPTS, 3, 0);
    assertEquals(1, asked.size(), "one call to the source for all groups");
    assertEquals(6, g.size());
    assertEquals(2, g.groups());
    assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1}, g.groupIndices());
    assertEquals(1, g.groupIndex(4));
    for (int i = 0; i < 6; i++) {
      assertSame(PROMPTS.get(i / 3), asked.get(0).get(i));
    }
  }

  @Test
  void aGroupSizeThatDoesNotDivideTheRowsIsRefused() {
    Rollout r =
        new Rollout(
            PROMPTS,
            List.of(new long[] {1}, new long[] {1}),
            List.of(),
            null,
            null,
            new boolean[2]);
    assertThrows(IllegalArgumentException.class, () -> new GroupedRollout(r, 3));
  }

  @Test
  void theGeneratorSamplesEachRepeatOnItsOwn() {
    try (CausalLM model = Presets.create("nano", 1)) {
      LocalRolloutSource source =
          new LocalRolloutSource(
              model,
              GenerationConfig.builder().maxNewTokens(8).sampling(SamplingConfig.ofSeed(1)).build(),
              null,
              null,
              7);
      GroupedRollout g = GroupedRollout.generate(source, PROMPTS, 4, 0);
      List<long[]> group = g.rollout().responses().subList(0, 4);
      boolean allSame = true;
      for (long[] r : group) {
        allSame &= Arrays.equals(r, group.get(0));
      }
      assertFalse(allSame, "the G completions of a prompt must differ");
    }
  }
}
