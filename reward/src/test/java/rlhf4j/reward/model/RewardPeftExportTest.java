package rlhf4j.reward.model;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.testing.PeftExport;

/**
 * Writes LoRA reward models saved by rlhf4j (PEFT {@code SEQ_CLS} folders: adapters plus the
 * trained score head as {@code modules_to_save}), their base reward models and rlhf4j's scores, for
 * {@code tools/fixtures/check_peft_roundtrip.py}, which loads them with transformers' {@code
 * AutoModelForSequenceClassification} + PEFT and compares. Runs only with {@code
 * -Drlhf4j.peftExport=DIR}; the reward models go to {@code DIR/reward}:
 *
 * <pre>
 * mvn -o -pl reward -am test -Dtest=RewardPeftExportTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Drlhf4j.peftExport=/tmp/peft-export
 * python3 tools/fixtures/check_peft_roundtrip.py /tmp/peft-export/reward
 * </pre>
 */
@EnabledIfSystemProperty(named = "rlhf4j.peftExport", matches = ".+")
class RewardPeftExportTest {
  /** Rows of equal length, the last ending in the pad id 0 (scored one token earlier). */
  private static final List<long[]> IDS =
      List.of(new long[] {5, 17, 42, 99, 250, 3, 7, 128}, new long[] {9, 8, 7, 6, 5, 4, 3, 0});

  @Test
  void exportLoraRewardModelsAndScoresForPeft() throws IOException {
    Path out = Path.of(System.getProperty("rlhf4j.peftExport")).toAbsolutePath().resolve("reward");
    Files.createDirectories(out);
    JsonArray entries = new JsonArray();
    long seed = 501;
    for (String name : new String[] {"llama-rm", "qwen3-rm", "gemma3-rm"}) {
      Path base = PeftExport.copyBase(out, name);
      try (RewardLora rl =
          RewardLora.inject(
              RewardModel.load(base),
              LoraConfig.builder().r(4).loraAlpha(8).allLinear().build(),
              seed++)) {
        trainLike(rl.trainableParameters(), seed++);
        rl.save(out.resolve(name + "-lora"));
        float[] scores = rl.model().scoreIds(IDS);
        JsonObject e = new JsonObject();
        e.addProperty("name", name + "-lora (SEQ_CLS)");
        e.addProperty("task", RewardLora.TASK_TYPE);
        e.addProperty("base", "base/" + name);
        e.addProperty("adapter", name + "-lora");
        e.addProperty("adapter_name", "default");
        JsonObject s = new JsonObject();
        JsonArray arr = new JsonArray();
        for (float v : scores) {
          arr.add(v);
        }
        s.add("scores", arr);
        Path file = out.resolve("logits").resolve(name + "-lora.scores.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, s.toString());
        e.addProperty("scores", "logits/" + file.getFileName());
        entries.add(e);
      }
    }
    PeftExport.writeManifest(out, IDS.toArray(new long[0][]), entries);
    System.out.println("PEFT reward-model export written to " + out);
  }

  /** Seeded nonzero values in every trainable array (lora_B from zero, the rest perturbed). */
  private static void trainLike(Map<String, NDArray> trainable, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
      float[] v = e.getValue().toFloatArray();
      for (int i = 0; i < v.length; i++) {
        double g =
            Math.sqrt(-2 * Math.log(1 - rng.nextDouble()))
                * Math.cos(2 * Math.PI * rng.nextDouble());
        v[i] = e.getKey().contains(".lora_B.") ? (float) (0.1 * g) : v[i] + (float) (0.05 * g);
      }
      e.getValue().set(v);
    }
  }
}
