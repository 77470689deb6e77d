package rlhf4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import rlhf4j.cli.bench.BenchSupport;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.quant.QuantConfig;

/** Where a command's model comes from: an HF folder or a seeded preset. */
public final class ModelOptions {
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

  @Option(
      names = "--base-dtype",
      paramLabel = "fp32|fp16|int8",
      defaultValue = "fp32",
      description =
          "storage of the base weights (attention and MLP linears; adapters, embeddings and the"
              + " head stay fp32 without --quantize-embeddings): fp32 (4 bytes a weight), fp16 (2) or int8 (1, plus an fp32"
              + " scale per row), to run a big model in less memory. Compute stays fp32, so fp16"
              + " and int8 round the weights and the logits move slightly"
              + " (default: ${DEFAULT-VALUE})")
  String baseDtype;

  @Option(
      names = "--quantize-embeddings",
      description =
          "with --base-dtype int8|fp16: store the token embedding and the LM head so too (one"
              + " scale per vocabulary row), most of what int8 can still save for a large"
              + " vocabulary (default: float32, as PEFT and bitsandbytes keep them)")
  boolean quantizeEmbeddings;

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  /**
   * The {@code --base-dtype} storage.
   *
   * @throws picocli.CommandLine.ParameterException naming the option and the accepted values
   */
  public QuantConfig quant() {
    return BenchSupport.quantConfig(spec, baseDtype, quantizeEmbeddings);
  }

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
