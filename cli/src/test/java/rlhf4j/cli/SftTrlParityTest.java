package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.testing.Fixtures;

/**
 * {@code rlhf4j sft} trains as TRL's {@code SFTTrainer} does: three steps of full fine-tuning of
 * qwen3-tiny on four prompt/completion lines (completion-only loss, the tokenizer's EOS appended,
 * clipping, AdamW) give TRL's loss at every step (golden from {@code
 * tools/fixtures/make_trl_goldens.py}, trl 1.13).
 */
class SftTrlParityTest {
  @TempDir Path tmp;

  @Test
  void threeSftStepsMatchTrlsSftTrainer() throws IOException {
    Path golden = Fixtures.path("trl/sft-qwen3-tiny");
    Path run = tmp.resolve("run");
    String yaml =
        """
        model:
          dir: %s
          tokenizer: %s
        data:
          path: %s
        trainer:
          output_dir: %s
          learning_rate: 1.0e-3
          num_train_epochs: 3
          per_device_train_batch_size: 4
          max_length: 64
          lr_scheduler_type: constant
          warmup_ratio: 0.0
          weight_decay: 0.0
          max_grad_norm: 1.0
          seed: 42
          completion_only_loss: true
          packing: false
          logging_steps: 1
        """
            .formatted(
                TrlGoldens.slash(Fixtures.path("hf/qwen3-tiny")),
                TrlGoldens.slash(Fixtures.path("hf/gpt2-tiny")),
                TrlGoldens.slash(golden.resolve("data.jsonl")),
                TrlGoldens.slash(run));
    TrlGoldens.run(tmp, "sft", yaml);
    List<JsonObject> steps = TrlGoldens.trlSteps(golden);
    List<JsonObject> rows = TrlGoldens.ourSteps(run, steps.size());
    for (int i = 0; i < rows.size(); i++) {
      double got = rows.get(i).get("sft/loss").getAsDouble();
      double want = steps.get(i).get("loss").getAsDouble();
      System.out.printf("sft step %d: loss %.7f, TRL %.7f%n", i + 1, got, want);
      assertTrue(Math.abs(got - want) <= 1e-5 * Math.abs(want), "step " + (i + 1));
    }
  }
}
