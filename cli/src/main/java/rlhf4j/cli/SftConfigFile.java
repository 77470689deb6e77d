package rlhf4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import rlhf4j.cli.config.ConfigBinder;
import rlhf4j.cli.config.ConfigFile;
import rlhf4j.cli.config.ConfigSection;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.sft.SftConfig;

/**
 * The YAML file of {@code rlhf4j sft} (see {@code cli/configs/sft.yaml}): {@code model}, {@code
 * data.path} and a {@code trainer} section whose keys bind onto {@link SftConfig}'s builder under
 * their HF {@code TrainingArguments} / TRL {@code SFTConfig} names, plus {@code output_dir}.
 *
 * @param model where the model and tokenizer come from
 * @param data the JSONL training set: {@code {"text": ...}} or {@code {"prompt": ..., "completion":
 *     ...}} per line
 * @param outputDir folder the fine-tuned model is saved to (HF layout plus tokenizer files)
 * @param trainer the trainer config: the given keys over {@link SftConfig}'s defaults
 * @param lora with a {@code lora} section: train a LoRA adapter on the frozen base (TRL's {@code
 *     SFTTrainer} with a {@code peft_config}) and save it as a PEFT folder; null: full fine-tuning
 * @param loraSeed seed of the adapter's initialisation ({@code lora.seed}, default 0)
 */
public record SftConfigFile(
    ModelSource model,
    Path data,
    Path outputDir,
    SftConfig trainer,
    LoraConfig lora,
    long loraSeed) {

  /** HF / TRL key → {@link SftConfig.Builder} method, where the names differ. */
  static final Map<String, String> ALIASES =
      Map.of(
          "num_train_epochs", "epochs",
          "per_device_train_batch_size", "batchSize",
          "lr_scheduler_type", "scheduler",
          "logging_steps", "logEvery");

  /** The trainer keys bound onto {@link SftConfig.Builder}. */
  static final Map<String, String> TRAINER_KEYS =
      ConfigBinder.keys(SftConfig.Builder.class, ALIASES);

  /**
   * Reads and checks {@code file}.
   *
   * @throws IllegalArgumentException naming the file and the key: a missing file or section, an
   *     unknown key (with the closest and the valid ones), a value of the wrong type or an invalid
   *     value
   */
  public static SftConfigFile read(Path file) {
    ConfigFile f =
        ConfigFile.read(file, List.of("model", "data", "trainer", "lora"), "cli/configs/sft.yaml");
    List<String> modelKeys = new ArrayList<>(ModelSource.TOKENIZER_KEYS);
    modelKeys.add("vocab_from_tokenizer");
    ModelSource model = ModelSource.read(f, modelKeys);
    if (model.preset() != null && model.tokenizer() == null) {
      throw new IllegalArgumentException(
          file + ": model.preset needs model.tokenizer (a folder with tokenizer.json)");
    }
    Path data =
        Path.of(f.section("data", List.of("path")).require("path", String.class, "a JSONL file"));
    List<String> trainerKeys = new ArrayList<>(List.of("output_dir"));
    trainerKeys.addAll(TRAINER_KEYS.keySet());
    ConfigSection t = f.section("trainer", trainerKeys);
    Path outputDir = Path.of(t.require("output_dir", String.class, "the folder to save to"));
    SftConfig.Builder b = t.bind(SftConfig.builder(), TRAINER_KEYS);
    SftConfig trainer = t.build(b::build);
    OptionalLora lora = OptionalLora.read(f, model, file, "sft");
    return new SftConfigFile(model, data, outputDir, trainer, lora.config(), lora.seed());
  }
}
