package rlhf4j.cli;

import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import rlhf4j.ppo.PolicyTrainer;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.ppo.grpo.GrpoConfig;
import rlhf4j.ppo.grpo.GrpoTrainer;

/** {@code rlhf4j grpo --config FILE.yaml}: GRPO (TRL's {@code GRPOTrainer}) with a LoRA adapter. */
@Command(
    name = "grpo",
    mixinStandardHelpOptions = true,
    description = {
      "Train a LoRA adapter with GRPO (TRL v1.9's GRPOTrainer) as a YAML file describes.",
      "Writes OUTPUT_DIR/metrics.jsonl (TRL's metric names), OUTPUT_DIR/checkpoint-<step>/ and"
          + " OUTPUT_DIR/final/ (the adapter in PEFT format).",
    })
public final class GrpoCommand extends RolloutCommand {
  @Option(
      names = "--spark-update",
      description =
          "with --spark-master, also run the update data-parallel on Spark: per optimizer step the"
              + " adapter goes out, each executor computes the adapter's gradients of its share of"
              + " the mini-batches and sends them back, and this process sums them, clips and"
              + " steps (the same update as without it, within float rounding). Needs"
              + " lora.lora_dropout 0. Off by default")
  boolean sparkUpdate;

  @Override
  boolean sparkUpdate() {
    return sparkUpdate;
  }

  @Override
  PolicyRunConfig.Algorithm algorithm() {
    return PolicyRunConfig.Algorithm.GRPO;
  }

  @Override
  double temperature(Context c) {
    return ((GrpoConfig) c.config().config()).temperature();
  }

  @Override
  boolean usesReference(Context c) {
    GrpoConfig cfg = (GrpoConfig) c.config().config();
    return cfg.needsReference();
  }

  @Override
  boolean usesOldLogProbs(Context c) {
    GrpoConfig cfg = (GrpoConfig) c.config().config();
    return cfg.needsOldLogProbs();
  }

  @Override
  PolicyTrainer trainer(Context c, TrainerSetup setup) throws IOException {
    return new GrpoTrainer(
        withRollouts(c, setup), (GrpoConfig) c.config().config(), c.config().batching());
  }
}
