package rlhf4j.cli.bench;

import ai.djl.engine.Engine;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.policy.train.Engines;

/**
 * The options every {@code rlhf4j bench} command takes (a picocli mixin): the model preset and how
 * its base weights are stored, the engine's threads, the seed and where the JSON report also goes.
 */
public final class BenchOptions extends BaseStorageOptions {
  @Option(
      names = "--preset",
      paramLabel = "NAME",
      defaultValue = "small",
      description =
          "seeded random model: nano, tiny, mini, small (GPT-2 124M shapes), tiny-llama,"
              + " tiny-qwen3, qwen3-0.6b, llama-3.2-1b, smollm2-135m, ... (default:"
              + " ${DEFAULT-VALUE})")
  String preset;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "2",
      description = "intra-op CPU threads of the PyTorch engine (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(
      names = "--seed",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "seed of the random weights, inputs, adapters and sampling (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(
      names = "--json",
      paramLabel = "FILE",
      description = "also write the JSON report to FILE (it is always printed; default: none)")
  Path json;

  /** Sets the engine's threads and loads its natives (before anything is timed). */
  void startEngine() {
    Engines.configure(threads);
    Engine.getInstance();
  }

  /** The preset's model with seeded random weights, its base stored as {@code quant} says. */
  CausalLM randomModel(QuantConfig quant) {
    return CausalLM.random(Presets.config(preset), seed, quant);
  }
}
