package rlhf4j.cli.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.cli.Rlhf4jCli;

/**
 * {@code rlhf4j quickstart --fast --algorithm grpo|rloo|dpo} end to end: each algorithm's own
 * recipe must lift the grammar-judged positive rate from about one half to at least 0.9 and keep
 * the policy grammatical, as {@link QuickstartTest} asks of PPO. Measured with one thread, seed 0:
 * see {@link AlgorithmRecipes}.
 */
class QuickstartCriticFreeTest {
  @TempDir Path out;

  @ParameterizedTest
  @ValueSource(strings = {"grpo", "rloo", "dpo"})
  void algorithmLiftsThePositiveRateAndStaysGrammatical(String algorithm) throws IOException {
    assertEquals(
        0,
        Rlhf4jCli.run(
            "quickstart",
            "--fast",
            "--quiet",
            "--seed",
            "0",
            "--algorithm",
            algorithm,
            "--out",
            out.toString()));
    JsonObject summary =
        JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    System.out.println(algorithm + " summary.json: " + summary);
    assertEquals(algorithm, summary.get("algorithm").getAsString());
    double before = summary.get("positive_rate_before").getAsDouble();
    double after = summary.get("positive_rate_after").getAsDouble();
    assertTrue(before > 0.3 && before < 0.7, "the SFT policy is about 50/50: " + summary);
    assertTrue(after >= 0.9, algorithm + " positive rate " + before + " -> " + after);
    assertTrue(summary.get("grammatical_rate_after").getAsDouble() >= 0.9, summary.toString());
    double kl = summary.get("kl_final").getAsDouble();
    assertTrue(kl > 0 && kl < 10, "KL to the reference " + kl);
    assertTrue(Double.isFinite(summary.get("kl_last_step").getAsDouble()), summary.toString());

    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(summary.get("ppo_steps").getAsInt(), lines.size());
    List<String> keys =
        algorithm.equals("dpo")
            ? List.of("loss", "rewards/margins", "rewards/accuracies", "logps/chosen")
            : List.of("loss", "reward", "kl", "entropy", "judge/positive_rate");
    JsonObject last = JsonParser.parseString(lines.get(lines.size() - 1)).getAsJsonObject();
    for (String key : keys) {
      assertTrue(last.has(key), key + " missing in " + last);
    }
    for (String file : List.of("reward.png", "kl.png", "losses.png", "samples.txt")) {
      assertTrue(Files.size(out.resolve(file)) > 0, file);
    }
  }
}
