package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.io.TensorData;
import rlhf4j.testing.Fixtures;

/**
 * {@code rlhf4j dpo} trains as TRL's {@code DPOTrainer} does: three steps with a LoRA adapter on
 * qwen3-tiny from the same start adapter, the same pairs and hyper-parameters give TRL's logged
 * loss, rewards, log-probs and gradient norm per step and its final adapter weights (golden from
 * {@code tools/fixtures/make_trl_goldens.py}, trl 1.13). This covers the tokenisation (the
 * tokenizer's EOS appended to each completion), the reference (the start adapter's frozen copy),
 * the sigmoid loss, gradient clipping and AdamW.
 */
class DpoTrlParityTest {
  @TempDir Path tmp;

  @Test
  void threeDpoStepsMatchTrlsDpoTrainer() throws IOException {
    Path golden = Fixtures.path("trl/dpo-qwen3-tiny");
    Path run = tmp.resolve("run");
    String yaml =
        """
        model:
          dir: %s
          tokenizer: %s
        lora:
          adapter: %s
        trainer:
          max_steps: 3
          output_dir: %s
          batch_size: 4
          mini_batch_size: 8
          learning_rate: 1.0e-2
          beta: 0.1
          loss_type: SIGMOID
          max_length: 128
          precompute_ref_log_probs: false
          max_grad_norm: 1.0
          seed: 0
        data:
          path: %s
        """
            .formatted(
                TrlGoldens.slash(Fixtures.path("hf/qwen3-tiny")),
                TrlGoldens.slash(Fixtures.path("hf/gpt2-tiny")),
                TrlGoldens.slash(golden.resolve("start")),
                TrlGoldens.slash(run),
                TrlGoldens.slash(golden.resolve("pairs.jsonl")));
    TrlGoldens.run(tmp, "dpo", yaml);
    List<JsonObject> steps = TrlGoldens.trlSteps(golden);
    List<JsonObject> rows = TrlGoldens.ourSteps(run, steps.size());
    for (int i = 0; i < rows.size(); i++) {
      JsonObject ours = rows.get(i);
      JsonObject trl = steps.get(i);
      for (String key : trl.keySet()) {
        if (key.equals("step")) {
          continue;
        }
        double want = trl.get(key).getAsDouble();
        double got = ours.get(key).getAsDouble();
        assertTrue(
            Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)),
            "step " + (i + 1) + " " + key + ": rlhf4j " + got + ", TRL " + want);
      }
    }

    Map<String, TensorData> trl =
        SafeTensors.read(golden.resolve("trl-final.safetensors")).tensors();
    Map<String, TensorData> ours =
        SafeTensors.read(run.resolve("final/adapter_model.safetensors")).tensors();
    assertEquals(trl.keySet(), ours.keySet());
    double worst = 0;
    for (String k : trl.keySet()) {
      float[] a = TrlGoldens.floats(trl.get(k));
      float[] b = TrlGoldens.floats(ours.get(k));
      for (int j = 0; j < a.length; j++) {
        worst = Math.max(worst, Math.abs(a[j] - b[j]));
      }
    }
    System.out.printf("DPO vs TRL: final adapter max |diff| %.3g%n", worst);
    assertTrue(worst < 1e-5, "final adapter differs from TRL's by " + worst);
  }
}
