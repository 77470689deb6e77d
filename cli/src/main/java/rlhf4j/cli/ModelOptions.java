package rlhf4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;
import rlhf4j.cli.bench.BaseStorageOptions;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.quant.QuantConfig;

/** Where a command's model comes from: an HF folder or a seeded preset. */
public final class ModelOptions extends BaseStorageOptions {
  static final class Source {
    @Option(
        names = "--model",
        paramLabel = "DIR",
        description = "HF model folder (config.json + model.safetensors)")
    Path model;

    @Option(
        names = "--preset",
        paramLabel = "NAME",
        description =
            "seeded random model: nano, tiny, mini, small (GPT-2 shapes), tiny-llama, tiny-neox,"
                + " tiny-qwen3, tiny-olmo2, tiny-gemma3, tiny-phi3, smollm2-135m, qwen3-0.6b,"
                + " llama-3.2-1b")
    String preset;
  }

  // a heading puts the group's options in one section of --help (without it picocli lists the
  // options of a mixin's group twice)
  @ArgGroup(exclusive = true, multiplicity = "1", heading = "Model (exactly one):%n")
  Source source;

  @Option(
      names = "--init-seed",
      defaultValue = "0",
      description = "seed of the --preset weights (default: ${DEFAULT-VALUE})")
  long seed;

  /** Loads or creates the model, its base stored as {@code --base-dtype} says. */
  public CausalLM load() {
    QuantConfig quant = quant();
    return source.model != null
        ? HfCheckpoint.load(source.model, HfConfig.read(source.model), quant)
        : CausalLM.random(Presets.config(source.preset), seed, quant);
  }

  /** The model folder, or null for a preset. */
  public Path dir() {
    return source.model;
  }
}
