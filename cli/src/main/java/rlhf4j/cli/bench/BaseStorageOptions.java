package rlhf4j.cli.bench;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import rlhf4j.policy.quant.QuantConfig;

/**
 * {@code --base-dtype} and {@code --quantize-embeddings}: how a command stores the frozen base. The
 * option mixins of {@code bench} and of the model commands ({@code logits}, {@code generate})
 * extend it; picocli reads the options of superclasses.
 */
public abstract class BaseStorageOptions {
  @Option(
      names = "--base-dtype",
      paramLabel = "fp32|fp16|int8",
      defaultValue = "fp32",
      description =
          "storage of the base weights (attention and MLP linears; adapters, embeddings and the"
              + " head stay fp32 without --quantize-embeddings): fp32 (4 bytes a weight), fp16"
              + " (2) or int8 (1, plus an fp32 scale per row), to run a big model in less memory."
              + " Compute stays fp32, so fp16 and int8 round the weights and the logits move"
              + " slightly (default: ${DEFAULT-VALUE})")
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
   * The storage these options ask for.
   *
   * @throws picocli.CommandLine.ParameterException naming the option and the accepted values
   */
  public QuantConfig quant() {
    return BenchSupport.quantConfig(spec, baseDtype, quantizeEmbeddings);
  }
}
