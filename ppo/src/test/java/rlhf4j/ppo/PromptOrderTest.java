package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PromptOrderTest {
  static final List<long[]> PROMPTS = PpoTrainerTest.prompts(6, 1);

  @Test
  void everyPassVisitsEachPromptOnceInASeededOrder() {
    PromptOrder order = new PromptOrder(PROMPTS, 3, 5);
    for (int pass = 0; pass < 3; pass++) {
      Set<long[]> seen = new HashSet<>();
      List<long[]> both = new ArrayList<>(order.batch(2L * pass));
      both.addAll(order.batch(2L * pass + 1));
      both.forEach(seen::add);
      assertEquals(6, seen.size(), "pass " + pass);
    }
  }

  @Test
  void aStepsBatchFollowsFromTheSeedAndTheStepAlone() {
    List<long[]> a = new PromptOrder(PROMPTS, 4, 5).batch(7);
    List<long[]> b = new PromptOrder(PROMPTS, 4, 5).batch(7);
    for (int i = 0; i < 4; i++) {
      assertSame(a.get(i), b.get(i));
    }
  }

  @Test
  void noPromptsIsTheCallersMistake() {
    assertThrows(IllegalArgumentException.class, () -> new PromptOrder(List.of(), 4, 5));
  }
}
