package rlhf4j.cli;

import java.nio.file.Path;
import java.util.List;
import rlhf4j.cli.config.ConfigFile;
import rlhf4j.cli.config.ConfigSection;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.quant.BaseDtype;
import rlhf4j.policy.quant.QuantConfig;

/**
 * The {@code model} section shared by {@code sft}, {@code train-reward} and {@code ppo}: an HF
 * folder ({@code dir}) or a seeded random {@code preset}, plus (where the command reads them) a
 * {@code tokenizer} folder and {@code vocab_from_tokenizer}.
 *
 * @param dir HF model folder, or null
 * @param preset seeded random model ({@code Presets.names()}: nano, tiny, ..., qwen3-0.6b), or null
 * @param tokenizer folder with tokenizer.json, or null (then {@code dir} supplies it)
 * @param vocabFromTokenizer with {@code preset}: size the vocabulary to the tokenizer's and take
 *     its BOS/EOS/PAD ids (default false)
 * @param seed weight seed of {@code preset} (default 0)
 * @param baseDtype how the frozen base's block projections are stored: {@code fp32} (default),
 *     {@code fp16} or {@code int8} (per output channel), used in float32; only where the base is
 *     frozen (the LoRA trainers), as PEFT's {@code prepare_model_for_kbit_training} does with a
 *     bitsandbytes base
 * @param quantizeEmbeddings also store the token embedding and the LM head as {@code baseDtype}
 *     (one scale per vocabulary row; default false, as PEFT and bitsandbytes keep them float32);
 *     needs a {@code baseDtype} below fp32. For a large vocabulary (Qwen3's tied 151,936 x 1024
 *     table is 622 MB in float32) this is most of what int8 can still save
 */
public record ModelSource(
    String dir,
    String preset,
    String tokenizer,
    boolean vocabFromTokenizer,
    long seed,
    BaseDtype baseDtype,
    boolean quantizeEmbeddings) {

  /** Keys of a command that reads no tokenizer. */
  static final List<String> KEYS =
      List.of("preset", "dir", "seed", "base_dtype", "quantize_embeddings");

  /** Keys of a command that takes a tokenizer folder. */
  static final List<String> TOKENIZER_KEYS =
      List.of("preset", "dir", "tokenizer", "seed", "base_dtype", "quantize_embeddings");

  /** Validates; a null {@code baseDtype} is fp32. */
  public ModelSource {
    baseDtype = baseDtype == null ? BaseDtype.FP32 : baseDtype;
    if (quantizeEmbeddings && baseDtype == BaseDtype.FP32) {
      throw new IllegalArgumentException(
          "model.quantize_embeddings needs model.base_dtype int8 or fp16 (it is fp32): set"
              + " base_dtype or remove quantize_embeddings");
    }
  }

  /** A float32 source. */
  public ModelSource(
      String dir, String preset, String tokenizer, boolean vocabFromTokenizer, long seed) {
    this(dir, preset, tokenizer, vocabFromTokenizer, seed, BaseDtype.FP32, false);
  }

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
    String dtype = s.get("base_dtype", String.class);
    BaseDtype baseDtype;
    try {
      baseDtype = dtype == null ? BaseDtype.FP32 : BaseDtype.parse(dtype);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file.file() + ": model.base_dtype: " + e.getMessage(), e);
    }
    try {
      return new ModelSource(
          dir,
          preset,
          s.get("tokenizer", String.class),
          s.get("vocab_from_tokenizer", Boolean.class, false),
          s.get("seed", Long.class, 0L),
          baseDtype,
          s.get("quantize_embeddings", Boolean.class, false));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file.file() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The model: {@code dir} loaded, or {@code preset} (with {@code config} replacing the preset's
   * config when not null, e.g. resized to a tokenizer) created from {@code seed}; the base stored
   * as {@link #baseDtype} says.
   */
  CausalLM load(ModelConfig config) {
    QuantConfig quant = quant();
    if (dir != null) {
      return HfCheckpoint.load(Path.of(dir), HfConfig.read(Path.of(dir)), quant);
    }
    return CausalLM.random(config != null ? config : Presets.config(preset), seed, quant);
  }

  /**
   * How the base is stored: {@link #baseDtype}, with the embeddings when {@link
   * #quantizeEmbeddings}.
   */
  QuantConfig quant() {
    return new QuantConfig(baseDtype, QuantConfig.PER_CHANNEL, quantizeEmbeddings);
  }

  /** {@link #load(ModelConfig)} with the preset's own config. */
  CausalLM load() {
    return load(null);
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
