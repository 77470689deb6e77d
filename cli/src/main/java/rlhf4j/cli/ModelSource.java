package rlhf4j.cli;

import java.nio.file.Path;
import java.util.List;
import rlhf4j.cli.config.ConfigFile;
import rlhf4j.cli.config.ConfigSection;

/**
 * The {@code model} section shared by {@code sft}, {@code train-reward} and {@code ppo}: an HF
 * folder ({@code dir}) or a seeded random {@code preset}, plus (where the command reads them) a
 * {@code tokenizer} folder and {@code vocab_from_tokenizer}.
 *
 * @param dir HF model folder, or null
 * @param preset seeded random model (nano, tiny, mini, small, tiny-llama, tiny-neox), or null
 * @param tokenizer folder with tokenizer.json, or null (then {@code dir} supplies it)
 * @param vocabFromTokenizer with {@code preset}: size the vocabulary to the tokenizer's and take
 *     its BOS/EOS/PAD ids (default false)
 * @param seed weight seed of {@code preset} (default 0)
 */
public record ModelSource(
    String dir, String preset, String tokenizer, boolean vocabFromTokenizer, long seed) {

  /** Keys of a command that reads no tokenizer. */
  static final List<String> KEYS = List.of("preset", "dir", "seed");

  /** Keys of a command that takes a tokenizer folder. */
  static final List<String> TOKENIZER_KEYS = List.of("preset", "dir", "tokenizer", "seed");

  /** Reads the {@code model} section with {@code keys} (one of the lists above, or a superset). */
  static ModelSource read(ConfigFile file, List<String> keys) {
    if (!file.has("model")) {
      throw new IllegalArgumentException(
          file.file()
              + ": section 'model' is missing; e.g. model: {preset: nano}, or dir:"
              + " path/to/hf-model");
    }
    ConfigSection s = file.section("model", keys);
    String dir = s.get("dir", String.class);
    String preset = s.get("preset", String.class);
    if ((dir == null) == (preset == null)) {
      throw new IllegalArgumentException(
          file.file() + ": model: give exactly one of preset (e.g. nano) and dir (an HF folder)");
    }
    if (dir != null && s.has("vocab_from_tokenizer")) {
      throw new IllegalArgumentException(
          file.file() + ": model.vocab_from_tokenizer applies only to model.preset");
    }
    return new ModelSource(
        dir,
        preset,
        s.get("tokenizer", String.class),
        s.get("vocab_from_tokenizer", Boolean.class, false),
        s.get("seed", Long.class, 0L));
  }

  /** The tokenizer folder: {@code tokenizer}, else {@code dir}. */
  Path tokenizerDir() {
    return Path.of(tokenizer != null ? tokenizer : dir);
  }

  /** What the model is, for log lines. */
  String describe() {
    return dir != null ? dir : preset;
  }
}
