package rlhf4j.cli;

import java.io.IOException;
import picocli.CommandLine.Command;
import rlhf4j.ppo.PolicyTrainer;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.ppo.rloo.RlooConfig;
import rlhf4j.ppo.rloo.RlooTrainer;

/** {@code rlhf4j rloo --config FILE.yaml}: RLOO (TRL's {@code RLOOTrainer}) with a LoRA adapter. */
@Command(
    name = "rloo",
    mixinStandardHelpOptions = true,
    description = {
      "Train a LoRA adapter with RLOO (TRL v1.9's RLOOTrainer) as a YAML file describes.",
      "Writes OUTPUT_DIR/metrics.jsonl (TRL's metric names), OUTPUT_DIR/checkpoint-<step>/ and"
          + " OUTPUT_DIR/final/ (the adapter in PEFT format).",
    })
public final class RlooCommand extends RolloutCommand {
  @Override
  PolicyRunConfig.Algorithm algorithm() {
    return PolicyRunConfig.Algorithm.RLOO;
  }

  @Override
  double temperature(Context c) {
    return ((RlooConfig) c.config().config()).temperature();
  }

  @Override
  boolean usesReference(Context c) {
    RlooConfig cfg = (RlooConfig) c.config().config();
    return cfg.needsReference();
  }

  @Override
  boolean usesOldLogProbs(Context c) {
    RlooConfig cfg = (RlooConfig) c.config().config();
    return cfg.needsOldLogProbs();
  }

  @Override
  PolicyTrainer trainer(Context c, TrainerSetup setup) throws IOException {
    return new RlooTrainer(
        withRollouts(c, setup), (RlooConfig) c.config().config(), c.config().batching());
  }
}
