package rlhf4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import rlhf4j.cli.config.ConfigBinder;
import rlhf4j.cli.config.ConfigFile;
import rlhf4j.cli.config.ConfigSection;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.reward.model.RewardLora;
import rlhf4j.reward.model.RewardTrainerConfig;

/**
 * The YAML file of {@code rlhf4j train-reward} (see {@code cli/configs/train-reward.yaml}): {@code
 * model}, {@code data} and a {@code trainer} section whose keys bind onto {@link
 * RewardTrainerConfig}'s builder under their HF / TRL {@code RewardConfig} names, plus {@code
 * output_dir} and {@code logging_steps}.
 *
 * @param model where the model comes from; its tokenizer is {@code model.tokenizer} or {@code
 *     model.dir}
 * @param data JSONL preference pairs
 * @param evalFraction fraction held out to measure accuracy (default 0.1)
 * @param outputDir folder the trained reward model is written to
 * @param loggingSteps print training metrics every this many steps (default 10)
 * @param trainer the trainer config: the given keys over {@link RewardTrainerConfig}'s defaults
 * @param lora with a {@code lora} section: train LoRA adapters on the frozen backbone plus the
 *     score head (TRL's {@code RewardTrainer} with a {@code peft_config}, PEFT task {@code
 *     SEQ_CLS}) and save a PEFT folder; null: every weight trains
 * @param loraSeed seed of the adapter's initialisation ({@code lora.seed}, default 0)
 */
public record TrainRewardConfig(
    ModelSource model,
    Path data,
    double evalFraction,
    Path outputDir,
    int loggingSteps,
    RewardTrainerConfig trainer,
    LoraConfig lora,
    long loraSeed) {

  /** HF / TRL key → {@link RewardTrainerConfig.Builder} method, where the names differ. */
  static final Map<String, String> ALIASES =
      Map.of(
          "num_train_epochs", "optEpochs",
          "per_device_train_batch_size", "optBatchSize",
          "per_device_eval_batch_size", "optEvalBatchSize",
          "lr_scheduler_type", "optSchedule");

  /** The trainer keys bound onto {@link RewardTrainerConfig.Builder}. */
  static final Map<String, String> TRAINER_KEYS =
      ConfigBinder.keys(RewardTrainerConfig.Builder.class, ALIASES);

  /**
   * Reads and checks a YAML config file.
   *
   * @throws IllegalArgumentException naming the file, the key and what is wrong (for an unknown
   *     key: the closest and the valid keys at that place)
   */
  public static TrainRewardConfig read(Path file) {
    ConfigFile f =
        ConfigFile.read(
            file, List.of("model", "data", "trainer", "lora"), "cli/configs/train-reward.yaml");
    ModelSource model = ModelSource.read(f, ModelSource.TOKENIZER_KEYS);
    if (model.preset() != null && model.tokenizer() == null) {
      throw new IllegalArgumentException(
          file + ": model.preset needs model.tokenizer (a folder with tokenizer.json)");
    }
    ConfigSection d = f.section("data", List.of("path", "eval_fraction"));
    Path data = Path.of(d.require("path", String.class, "a JSONL preference file"));
    double evalFraction = d.get("eval_fraction", Double.class, 0.1);
    if (!(evalFraction >= 0 && evalFraction < 1)) {
      throw d.error("eval_fraction", "must be in [0, 1), got " + evalFraction);
    }
    List<String> trainerKeys = new ArrayList<>(List.of("output_dir", "logging_steps"));
    trainerKeys.addAll(TRAINER_KEYS.keySet());
    ConfigSection t = f.section("trainer", trainerKeys);
    Path outputDir = Path.of(t.require("output_dir", String.class, "the folder to write"));
    int loggingSteps = t.get("logging_steps", Integer.class, 10);
    if (loggingSteps <= 0) {
      throw t.error("logging_steps", "must be > 0, got " + loggingSteps);
    }
    RewardTrainerConfig.Builder b = t.bind(RewardTrainerConfig.builder(), TRAINER_KEYS);
    RewardTrainerConfig trainer = t.build(b::build);
    OptionalLora optional = OptionalLora.read(f, model, file, "train-reward");
    LoraConfig lora = optional.config();
    long loraSeed = optional.seed();
    if (lora != null) {
      List<String> others =
          lora.modulesToSave().stream().filter(m -> !m.equals(RewardLora.SCORE_MODULE)).toList();
      if (!others.isEmpty()) {
        throw optional
            .section()
            .error(
                "modules_to_save",
                others
                    + ": a LoRA reward model trains and saves the score head only (PEFT's SEQ_CLS"
                    + " modules_to_save [\"score\"], always on); remove the other modules");
      }
    }
    return new TrainRewardConfig(
        model, data, evalFraction, outputDir, loggingSteps, trainer, lora, loraSeed);
  }
}
