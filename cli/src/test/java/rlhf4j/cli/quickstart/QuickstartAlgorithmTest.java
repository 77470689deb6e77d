package rlhf4j.cli.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.grpo.GrpoConfig;

/** The {@code --algorithm} choice and the critic-free recipes, without running them. */
class QuickstartAlgorithmTest {

  @Test
  void parsesTheCliNamesCaseInsensitively() {
    for (QuickstartAlgorithm a : QuickstartAlgorithm.values()) {
      assertEquals(a, QuickstartAlgorithm.parse(a.cliName()));
      assertEquals(a, QuickstartAlgorithm.parse(a.label()));
    }
  }

  @Test
  void anUnknownNameListsTheChoices() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> QuickstartAlgorithm.parse("a2c"));
    assertTrue(e.getMessage().contains("[ppo, grpo, rloo, dpo]"), e.getMessage());
  }

  @Test
  void optionsDefaultToPpo() {
    QuickstartOptions o = new QuickstartOptions(Path.of("x"), true, 0, true, 0);
    assertEquals(QuickstartAlgorithm.PPO, o.algorithm());
    assertEquals(QuickstartAlgorithm.DPO, o.withAlgorithm(QuickstartAlgorithm.DPO).algorithm());
  }

  @Test
  void everyGroupRecipeSamplesAtTheEvaluationTemperature() {
    for (AlgorithmRecipes r :
        new AlgorithmRecipes[] {AlgorithmRecipes.fast(), AlgorithmRecipes.full()}) {
      assertEquals(QuickstartRecipe.fast().ppo().temperature(), r.grpo().config().temperature());
      assertEquals(QuickstartRecipe.full().ppo().temperature(), r.rloo().config().temperature());
    }
  }

  @Test
  void aGroupRecipeAtAnotherTemperatureIsRefused() {
    AlgorithmRecipes fast = AlgorithmRecipes.fast();
    PolicyRecipe<GrpoConfig> hot =
        new PolicyRecipe<>(
            GrpoConfig.builder().temperature(1.0).build(), RunConfig.builder().build(), 1);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new AlgorithmRecipes(hot, fast.rloo(), fast.dpo()));
    assertTrue(e.getMessage().contains("temperature"), e.getMessage());
  }

  @Test
  void seedingARecipeKeepsItsBatching() {
    PolicyRecipe<GrpoConfig> r = AlgorithmRecipes.fast().grpo();
    PolicyRecipe<GrpoConfig> s = r.seeded(7);
    assertEquals(7, s.run().seed());
    assertEquals(r.run().batchSize(), s.run().batchSize());
    assertEquals(r.run().miniBatchSize(), s.run().miniBatchSize());
    assertEquals(r.run().maxGradNorm(), s.run().maxGradNorm());
    assertEquals(r.steps(), s.steps());
  }

  @Test
  void theCliRefusesAnUnknownAlgorithmBeforeRunning(@org.junit.jupiter.api.io.TempDir Path dir) {
    int code =
        rlhf4j.cli.Rlhf4jCli.run(
            "quickstart", "--fast", "--quiet", "--algorithm", "a2c", "--out", dir.toString());
    assertTrue(code != 0, "exit code " + code);
    assertTrue(!java.nio.file.Files.exists(dir.resolve("summary.json")));
  }
}
