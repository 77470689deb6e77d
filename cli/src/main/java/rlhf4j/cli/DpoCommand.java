package rlhf4j.cli;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.ppo.PolicyTrainer;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.ppo.dpo.DpoConfig;
import rlhf4j.ppo.dpo.DpoPair;
import rlhf4j.ppo.dpo.DpoTrainer;
import rlhf4j.reward.model.PreferenceData;

/**
 * {@code rlhf4j dpo --config FILE.yaml}: DPO (TRL's {@code DPOTrainer}) with a LoRA adapter on the
 * {@code {prompt, chosen, rejected}} JSONL that {@code rlhf4j train-reward} also reads.
 */
@Command(
    name = "dpo",
    mixinStandardHelpOptions = true,
    description = {
      "Train a LoRA adapter with DPO (TRL v1.9's DPOTrainer) as a YAML file describes.",
      "Writes OUTPUT_DIR/metrics.jsonl (TRL's metric names), OUTPUT_DIR/checkpoint-<step>/ and"
          + " OUTPUT_DIR/final/ (the adapter in PEFT format).",
    })
public final class DpoCommand extends PolicyCommand {
  @Override
  PolicyRunConfig.Algorithm algorithm() {
    return PolicyRunConfig.Algorithm.DPO;
  }

  @Override
  PolicyTrainer trainer(Context c, TrainerSetup setup) {
    return new DpoTrainer(
        setup.padId(Math.max(0, eos(c))), (DpoConfig) c.config().config(), c.config().batching());
  }

  @Override
  void train(
      Context c, PolicyTrainer trainer, long totalSteps, PolicyTrainer.StepCallback afterStep) {
    Tokenizer tokenizer = c.tokenizer();
    if (tokenizer == null) {
      throw new IllegalArgumentException(
          "dpo reads text pairs and needs a tokenizer: set model.tokenizer (or model.dir) to a"
              + " folder with tokenizer.json");
    }
    if (!Files.isRegularFile(c.config().pairs())) {
      throw new IllegalArgumentException("data.path " + c.config().pairs() + " does not exist");
    }
    DpoConfig config = (DpoConfig) c.config().config();
    List<DpoPair> pairs =
        DpoPair.tokenize(
            PreferenceData.read(c.config().pairs(), tokenizer.dir()),
            tokenizer::encode,
            tokenizer::encodePlain,
            eos(c),
            config.maxLength());
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException(
          "data.path "
              + c.config().pairs()
              + ": no pair fits trainer.max_length "
              + config.maxLength());
    }
    ((DpoTrainer) trainer).train(pairs, totalSteps, afterStep);
  }

  /** The EOS id appended to completions ({@link PpoCommand#trainingEos}: the tokenizer's first). */
  private static long eos(Context c) {
    return PpoCommand.trainingEos(c.model(), c.tokenizer());
  }

  @Override
  String progress(Map<String, Double> stats) {
    return format(
        "loss %.4f  accuracy %.3f  margin %.4f  %.1f s",
        stats.get("loss"),
        stats.get("rewards/accuracies"),
        stats.get("rewards/margins"),
        stats.get("time/total"));
  }
}
