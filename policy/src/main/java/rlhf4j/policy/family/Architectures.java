package rlhf4j.policy.family;

import java.util.ArrayList;
import java.util.List;
import rlhf4j.policy.model.ModelConfig;

/** The registry of the families rlhf4j implements; a new family adds one line to {@link #ALL}. */
public final class Architectures {
  /** GPT-2: learned positions, LayerNorm, fused c_attn (Conv1D layout), tied head. */
  public static final Architecture GPT2 = new Gpt2Architecture();

  /** Llama, Mistral, Qwen2: RMSNorm, RoPE, grouped-query attention, SwiGLU MLP. */
  public static final Architecture LLAMA = new LlamaArchitecture();

  /** GPT-NeoX / Pythia: per-head fused q,k,v, partial rotary, optional parallel residual. */
  public static final Architecture GPT_NEOX = new NeoxArchitecture();

  /** Qwen3: the Llama layout with per-head q/k RMSNorm before RoPE and an explicit head_dim. */
  public static final Architecture QWEN3 = new Qwen3Architecture();

  /** OLMo 2: norms after attention and MLP outputs, q/k RMSNorm over the whole projection. */
  public static final Architecture OLMO2 = new Olmo2Architecture();

  /** Gemma 3 text: (1 + w) RMSNorms, four norms per block, scaled embeddings, local RoPE. */
  public static final Architecture GEMMA3 = new Gemma3Architecture();

  /** Phi-3: fused qkv_proj and gate_up_proj, partial rotary. */
  public static final Architecture PHI3 = new Phi3Architecture();

  private static final List<Architecture> ALL =
      List.of(GPT2, LLAMA, GPT_NEOX, QWEN3, OLMO2, GEMMA3, PHI3);

  private Architectures() {}

  /** Every registered family. */
  public static List<Architecture> all() {
    return ALL;
  }

  /** Every HF {@code model_type} some family loads, in registry order. */
  public static List<String> supportedModelTypes() {
    List<String> out = new ArrayList<>();
    for (Architecture a : ALL) {
      out.addAll(a.modelTypes());
    }
    return List.copyOf(out);
  }

  /**
   * The family that loads HF {@code model_type} {@code modelType}.
   *
   * @throws IllegalArgumentException naming the supported model types if none does
   */
  public static Architecture forModelType(String modelType) {
    for (Architecture a : ALL) {
      if (a.modelTypes().contains(modelType)) {
        return a;
      }
    }
    throw new IllegalArgumentException(
        "model_type '"
            + modelType
            + "' is not supported (supported: "
            + supportedModelTypes()
            + ")");
  }

  /** The family descriptor of {@code config}. */
  public static Architecture of(ModelConfig config) {
    if (config.family() instanceof Architecture a) {
      return a;
    }
    return forModelType(config.modelType());
  }
}
