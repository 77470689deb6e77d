package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.io.SafeTensors;
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
                TrlGoldens.slash(Fixtures.path("hf/qwen3-rm")),
                TrlGoldens.slash(Fixtures.path("hf/gpt2-tiny")),
                TrlGoldens.slash(Fixtures.path("trl/dpo-qwen3-tiny/pairs.jsonl")),
                TrlGoldens.slash(run));
    TrlGoldens.run(tmp, "train-reward", yaml);
    List<JsonObject> steps = TrlGoldens.trlSteps(golden);
    List<JsonObject> rows = TrlGoldens.ourSteps(run, steps.size());
    for (int i = 0; i < rows.size(); i++) {
      JsonObject ours = rows.get(i);
      JsonObject trl = steps.get(i);
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
        TrlGoldens.floats(
            SafeTensors.read(golden.resolve("trl-score.safetensors"))
                .tensors()
                .get("score.weight"));
    float[] got =
        TrlGoldens.floats(
            SafeTensors.read(run.resolve("model.safetensors")).tensors().get("score.weight"));
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
}
