package rlhf4j.cli.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.cli.Rlhf4jCli;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.reward.model.RewardModel;
import rlhf4j.rollout.LocalRolloutSource;

/**
 * {@code quickstart --spark-master local[2]} with PPO and GRPO on a tiny recipe: phase 5's
 * rollouts, log-probs (old, reference; PPO's values) and reward run on Spark, the summary reports
 * the traffic, and the steps equal the same phase run here with the local source seeded per prompt
 * (the scheme Spark uses; the default local run samples with one stream per batch and is not
 * comparable).
 */
@Timeout(420)
class QuickstartSparkTest {
  @TempDir Path tmp;

  /** The fast recipe, cut to a pipeline of seconds (nothing here asserts that training works). */
  static QuickstartRecipe tiny() {
    QuickstartRecipe f = QuickstartRecipe.fast();
    return new QuickstartRecipe(
        1000,
        f.ratedFraction(),
        f.vocabSize(),
        f.hiddenSize(),
        f.numLayers(),
        f.numHeads(),
        f.maxPositions(),
        f.sft().toBuilder().maxSteps(100).build(),
        128,
        32,
        f.reward().toBuilder().optEpochs(1).build(),
        f.lora(),
        f.ppo(),
        2,
        32,
        f.maxNewTokens(),
        f.missingEosPenalty(),
        16,
        2);
  }

  /** The fast GRPO/RLOO recipes with two steps each. */
  static AlgorithmRecipes twoSteps() {
    AlgorithmRecipes f = AlgorithmRecipes.fast();
    return new AlgorithmRecipes(
        new PolicyRecipe<>(f.grpo().config(), f.grpo().run(), 2),
        new PolicyRecipe<>(f.rloo().config(), f.rloo().run(), 2),
        f.dpo());
  }

  @Test
  void grpoOnLocalSparkReportsTrafficAndEqualsTheLocalSourceSeededPerPrompt() throws IOException {
    Path out = tmp.resolve("spark");
    QuickstartOptions options =
        new QuickstartOptions(out, true, 0, true, 1, QuickstartAlgorithm.GRPO, "local[2]");
    new Quickstart(options, tiny(), twoSteps()).run();

    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals("grpo", summary.get("algorithm").getAsString());
    assertEquals("local[2]", summary.get("spark_master").getAsString());
    assertEquals(1, summary.get("executors").getAsInt(), "local[N] is one executor: " + summary);
    long broadcast = summary.get("broadcast_bytes_per_step").getAsLong();
    long model = Files.size(out.resolve("sft/model.safetensors"));
    assertTrue(broadcast > 0 && broadcast < model / 2, broadcast + " bytes vs model " + model);
    assertTrue(summary.get("returned_bytes_per_step").getAsLong() > 0, summary.toString());
    List<String> spark = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(2, spark.size());
    for (String line : spark) {
      JsonObject row = JsonParser.parseString(line).getAsJsonObject();
      assertEquals(0.0, row.get("time/ref_and_old_forward").getAsDouble(), "old and ref on Spark");
      assertEquals(1.0, row.get("distributed/executors").getAsDouble());
    }

    // phase 5 again in this process from the run's folders, the local source seeded per prompt
    Path here = tmp.resolve("local");
    QuickstartContext ctx =
        new QuickstartContext(
            new QuickstartOptions(here, true, 0, true, 1, QuickstartAlgorithm.GRPO),
            tiny(),
            twoSteps(),
            Reporter.system(true));
    try (Tokenizer tokenizer = Tokenizer.load(out.resolve("tokenizer"));
        CausalLM sft = HfCheckpoint.load(out.resolve("sft"));
        RewardModel rm = RewardModel.load(out.resolve("reward_model"));
        LoraModel lora = LoraModel.inject(sft, ctx.recipe().lora(), ctx.seed(8))) {
      LocalRolloutSource perPrompt =
          new LocalRolloutSource(
                  lora.model(),
                  PpoPhase.generation(ctx.recipe(), tokenizer, ctx.seed(10)),
                  null,
                  tokenizer,
                  GroupPhase.runSeed(ctx))
              .perPromptSeeds();
      GroupPhase.run(ctx, lora, rm, tokenizer, perPrompt);
    }
    List<String> local = Files.readAllLines(here.resolve("metrics.jsonl"));
    assertEquals(2, local.size());
    for (int i = 0; i < 2; i++) {
      JsonObject s = JsonParser.parseString(spark.get(i)).getAsJsonObject();
      JsonObject l = JsonParser.parseString(local.get(i)).getAsJsonObject();
      String at = "step " + (i + 1) + ": spark " + s + "\nlocal " + l;
      // the same completions: the same judged share and the same reward-model scores
      assertEquals(
          l.get("judge/positive_rate").getAsDouble(),
          s.get("judge/positive_rate").getAsDouble(),
          at);
      assertEquals(l.get("reward").getAsDouble(), s.get("reward").getAsDouble(), 1e-5, at);
      assertEquals(l.get("reward_std").getAsDouble(), s.get("reward_std").getAsDouble(), 1e-5, at);
      // log-probs within 1e-6 make the KL and the loss agree to float tolerance
      assertEquals(l.get("kl").getAsDouble(), s.get("kl").getAsDouble(), 1e-4, at);
      assertEquals(l.get("loss").getAsDouble(), s.get("loss").getAsDouble(), 1e-4, at);
    }
  }

  @Test
  void ppoOnLocalSparkReportsTrafficAndEqualsTheLocalSourceSeededPerPrompt() throws IOException {
    Path out = tmp.resolve("spark");
    QuickstartOptions options =
        new QuickstartOptions(out, true, 0, true, 1, QuickstartAlgorithm.PPO, "local[2]");
    new Quickstart(options, tiny(), twoSteps()).run();
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    assertEquals("ppo", summary.get("algorithm").getAsString());
    assertEquals(1, summary.get("executors").getAsInt(), summary.toString());
    long broadcast = summary.get("broadcast_bytes_per_step").getAsLong();
    long model = Files.size(out.resolve("sft/model.safetensors"));
    assertTrue(broadcast > 0 && broadcast < model / 2, broadcast + " bytes vs model " + model);
    List<String> spark = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(2, spark.size());

    Path here = tmp.resolve("local");
    QuickstartContext ctx =
        new QuickstartContext(
            new QuickstartOptions(here, true, 0, true, 1, QuickstartAlgorithm.PPO),
            tiny(),
            twoSteps(),
            Reporter.system(true));
    try (Tokenizer tokenizer = Tokenizer.load(out.resolve("tokenizer"));
        CausalLM sft = HfCheckpoint.load(out.resolve("sft"));
        RewardModel rm = RewardModel.load(out.resolve("reward_model"));
        LoraModel lora = LoraModel.inject(sft, ctx.recipe().lora(), ctx.seed(8));
        NDManager heads = NDManager.newBaseManager();
        ValueHead valueHead =
            ValueHead.create(heads, sft.config().hiddenSize(), true, ctx.seed(9))) {
      LocalRolloutSource perPrompt =
          new LocalRolloutSource(
                  lora.model(),
                  PpoPhase.generation(ctx.recipe(), tokenizer, ctx.seed(10)),
                  valueHead,
                  tokenizer,
                  ctx.seed(10))
              .perPromptSeeds();
      PpoPhase.run(ctx, lora, valueHead, rm, tokenizer, perPrompt);
    }
    List<String> local = Files.readAllLines(here.resolve("metrics.jsonl"));
    assertEquals(2, local.size());
    for (int i = 0; i < 2; i++) {
      JsonObject s = JsonParser.parseString(spark.get(i)).getAsJsonObject();
      JsonObject l = JsonParser.parseString(local.get(i)).getAsJsonObject();
      String at = "step " + (i + 1) + ": spark " + s + "\nlocal " + l;
      assertEquals(
          l.get("judge/positive_rate").getAsDouble(),
          s.get("judge/positive_rate").getAsDouble(),
          at);
      assertEquals(
          l.get("objective/scores").getAsDouble(),
          s.get("objective/scores").getAsDouble(),
          1e-5,
          at);
      assertEquals(
          l.get("objective/kl").getAsDouble(), s.get("objective/kl").getAsDouble(), 1e-4, at);
      assertEquals(
          l.get("ppo/loss/policy").getAsDouble(), s.get("ppo/loss/policy").getAsDouble(), 1e-4, at);
      assertEquals(
          l.get("ppo/loss/value").getAsDouble(), s.get("ppo/loss/value").getAsDouble(), 1e-4, at);
    }
  }

  @Test
  void dpoWithASparkMasterIsRefusedNamingBothOptions() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new QuickstartOptions(tmp, true, 0, true, 0, QuickstartAlgorithm.DPO, "local[2]"));
    assertTrue(e.getMessage().contains("--spark-master"), e.getMessage());
    assertTrue(e.getMessage().contains("no rollouts"), e.getMessage());
    int code =
        Rlhf4jCli.run(
            "quickstart",
            "--algorithm",
            "dpo",
            "--spark-master",
            "local[2]",
            "--out",
            tmp.resolve("dpo").toString());
    assertEquals(2, code, "a usage error before any work");
    assertTrue(Files.notExists(tmp.resolve("dpo/summary.json")));
  }
}
