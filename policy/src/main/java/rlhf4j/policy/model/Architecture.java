package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** What differs between model families: parameter names and shapes, and how blocks are built. */
interface Architecture {
  /** Every parameter of a model with this config, in a stable order. */
  List<ParamSpec> parameters(ModelConfig c);

  /** Prefix of the backbone in HF's *ForCausalLM state dict (e.g. {@code transformer.}). */
  String backbonePrefix();

  /** Checkpoint entries that are buffers, not parameters, and are skipped when loading. */
  Predicate<String> ignoredKeys();

  /** Builds the modules of block {@code i} from parameters named as in {@link #parameters}. */
  Block block(ModelConfig c, int i, Map<String, NDArray> p);

  /** Name of the token embedding. */
  String tokenEmbedding();

  /** Name of the learned position embedding, or null. */
  String positionEmbedding();

  /** Names of the final norm's weight and bias (bias null for RMSNorm). */
  String[] finalNorm();

  /** Name of the untied LM head weight. */
  String lmHead();

  static Architecture of(Family f) {
    switch (f) {
      case GPT2:
        return new Gpt2Architecture();
      case LLAMA:
        return new LlamaArchitecture();
      case GPT_NEOX:
        return new NeoxArchitecture();
      default:
        throw new IllegalArgumentException(f.name());
    }
  }

  static Norm norm(ModelConfig c, Map<String, NDArray> p, String prefix, boolean rms) {
    return rms
        ? Norm.rmsNorm(p.get(prefix + ".weight"), c.normEps())
        : Norm.layerNorm(p.get(prefix + ".weight"), p.get(prefix + ".bias"), c.normEps());
  }

  static Linear linear(Map<String, NDArray> p, String path, boolean hfTransposed) {
    return new Linear(path, p.get(path + ".weight"), p.get(path + ".bias"), hfTransposed);
  }

  static void addLinear(
      List<ParamSpec> out, String path, long outF, long inF, boolean bias, double std, boolean t) {
    ParamSpec w = ParamSpec.normal(path + ".weight", std, outF, inF);
    out.add(t ? w.transposedInHf() : w);
    if (bias) {
      out.add(ParamSpec.zeros(path + ".bias", outF));
    }
  }
}
