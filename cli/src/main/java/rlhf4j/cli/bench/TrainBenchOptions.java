package rlhf4j.cli.bench;

import java.util.List;
import picocli.CommandLine.Option;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.optim.AdamW;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.policy.optim.LrSchedule;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * The options of the training benchmarks ({@code bench ppo}, {@code bench grpo}), a picocli mixin:
 * the LoRA adapter, the AdamW learning rate, memory switches and how many steps are timed. With it
 * come the workload's parts both build alike.
 */
public final class TrainBenchOptions {
  @Option(
      names = "--lora-r",
      paramLabel = "N",
      defaultValue = "16",
      description = "LoRA rank (default: ${DEFAULT-VALUE})")
  int loraR;

  @Option(
      names = "--lora-alpha",
      paramLabel = "X",
      defaultValue = "32",
      description = "LoRA alpha; the update is scaled by alpha / r (default: ${DEFAULT-VALUE})")
  double loraAlpha;

  @Option(
      names = "--lora-dropout",
      paramLabel = "P",
      defaultValue = "0.05",
      description = "dropout probability on the LoRA input (default: ${DEFAULT-VALUE})")
  double loraDropout;

  @Option(
      names = "--lora-targets",
      split = ",",
      description =
          "modules to adapt (default: PEFT's for the family: c_attn for GPT-2, q_proj,v_proj for"
              + " Llama and Qwen)")
  List<String> loraTargets;

  @Option(
      names = "--lr",
      defaultValue = "1.41e-5",
      description = "AdamW learning rate (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(
      names = "--gradient-checkpointing",
      description = "recompute each block in the backward instead of keeping its activations")
  boolean gradientCheckpointing;

  @Option(
      names = "--release-freed-memory",
      description =
          "return freed tensors of 64 KiB or more to the kernel at once (glibc mallopt), so"
              + " update_peak_extra_mb counts live tensors; adds page faults to every phase")
  boolean releaseFreedMemory;

  @Option(
      names = "--warmup",
      paramLabel = "STEPS",
      defaultValue = "1",
      description = "untimed steps first (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(
      names = "--repeats",
      paramLabel = "STEPS",
      defaultValue = "3",
      description = "timed steps; the report gives their median (default: ${DEFAULT-VALUE})")
  int repeats;

  /**
   * Applies {@code --release-freed-memory}.
   *
   * @return whether it was asked for and glibc accepted it
   */
  boolean releaseFreedMemory() {
    return releaseFreedMemory && BenchSupport.releaseFreedMemoryEagerly();
  }

  /** A fresh LoRA adapter on {@code model} from these options. */
  LoraModel injectLora(CausalLM model, long seed) {
    return LoraModel.inject(
        model,
        LoraConfig.builder()
            .r(loraR)
            .loraAlpha(loraAlpha)
            .loraDropout(loraDropout)
            .targetModules(loraTargets)
            .build(),
        seed);
  }

  /** AdamW with PyTorch's defaults at a constant {@code --lr}, its update memory probed. */
  UpdateMemoryProbe optimizer() {
    return new UpdateMemoryProbe(new AdamW(AdamWConfig.defaults(), LrSchedule.constant(lr)));
  }

  /** Sampling at temperature 1 of up to {@code newTokens} tokens, stopping (and padding) at EOS. */
  static GenerationConfig generation(int newTokens, long eos, long seed) {
    return GenerationConfig.builder()
        .maxNewTokens(newTokens)
        .eosTokenId(eos)
        .padTokenId(eos)
        .sampling(SamplingConfig.builder().temperature(1.0).seed(seed).build())
        .build();
  }
}
