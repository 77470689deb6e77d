package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.io.TensorData;
import rlhf4j.testing.Fixtures;

/**
 * {@code rlhf4j train-reward} trains as TRL's {@code RewardTrainer} does: three steps of full
 * fine-tuning of a Qwen3 reward model made by transformers, on the pairs and hyper-parameters of
 * {@code tools/fixtures/make_trl_goldens.py} (trl 1.13), give TRL's loss, accuracy, margin, mean
 * reward and gradient norm per step and its trained score head. This covers the tokenisation
 * (prompt and response as one text, the tokenizer's EOS appended), where the score is read (the
 * last token that is not the pad id: the one before that EOS), the pairwise loss, clipping and
 * AdamW.
 */
class RewardTrlParityTest {
  @TempDir Path tmp;

  @Test
  void threeRewardStepsMatchTrlsRewardTrainer() throws IOException {
    Path golden = Fixtures.path("trl/reward-qwen3-rm");
    Path run = tmp.resolve("run");
    String yaml =
        """
        model:
          dir: %s
          tokenizer: %s
        data:
          path: %s
          eval_fraction: 0
        trainer:
          output_dir: %s
          logging_steps: 1
          num_train_epochs: 3
          per_device_train_batch_size: 4
          learning_rate: 1.0e-3
          lr_scheduler_type: constant
          max_grad_norm: 1.0
          max_length: 128
          seed: 0
        """
            .formatted(
                slash(Fixtures.path("hf/qwen3-rm")),
                slash(Fixtures.path("hf/gpt2-tiny")),
                slash(Fixtures.path("trl/dpo-qwen3-tiny/pairs.jsonl")),
                slash(run));
    Path config = tmp.resolve("rm.yaml");
    Files.writeString(config, yaml);
    CliRun.Result r = CliRun.run("train-reward", "--config", config.toString());
    assertEquals(0, r.code(), r.err());

    JsonArray steps =
        JsonParser.parseString(Files.readString(golden.resolve("trl-metrics.json")))
            .getAsJsonObject()
            .getAsJsonArray("steps");
    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertEquals(steps.size(), lines.size());
    for (int i = 0; i < lines.size(); i++) {
      JsonObject ours = JsonParser.parseString(lines.get(i)).getAsJsonObject();
      JsonObject trl = steps.get(i).getAsJsonObject();
      double meanReward =
          (ours.get("train/rewards/chosen").getAsDouble()
                  + ours.get("train/rewards/rejected").getAsDouble())
              / 2;
      close(i, "loss", trl, ours.get("train/loss").getAsDouble());
      close(i, "accuracy", trl, ours.get("train/accuracy").getAsDouble());
      close(i, "margin", trl, ours.get("train/margin").getAsDouble());
      close(i, "grad_norm", trl, ours.get("train/grad_norm").getAsDouble());
      close(i, "mean_reward", trl, meanReward);
    }

    float[] want =
        floats(
            SafeTensors.read(golden.resolve("trl-score.safetensors"))
                .tensors()
                .get("score.weight"));
    float[] got =
        floats(SafeTensors.read(run.resolve("model.safetensors")).tensors().get("score.weight"));
    double worst = 0;
    for (int j = 0; j < want.length; j++) {
      worst = Math.max(worst, Math.abs(want[j] - got[j]));
    }
    System.out.printf("train-reward vs TRL: score head max |diff| %.3g%n", worst);
    assertTrue(worst < 1e-4, "score head differs from TRL's by " + worst);
  }

  private static void close(int i, String key, JsonObject trl, double got) {
    double want = trl.get(key).getAsDouble();
    assertTrue(
        Math.abs(got - want) <= 1e-4 * Math.max(1, Math.abs(want)),
        "step " + (i + 1) + " " + key + ": rlhf4j " + got + ", TRL " + want);
  }

  private static float[] floats(TensorData t) {
    FloatBuffer f = t.bytes().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] out = new float[f.remaining()];
    f.get(out);
    return out;
  }

  private static String slash(Path p) {
    return p.toAbsolutePath().toString().replace("\\", "/");
  }
}
