package rlhf4j.distributed;

import java.io.Serializable;

/**
 * Where every executor finds the frozen base model: a HuggingFace checkpoint folder ({@code
 * config.json}, {@code model.safetensors}, optionally {@code tokenizer.json}) at the same path on
 * every node (a local copy or a shared filesystem). Executors load it once per JVM and keep it
 * across steps; the key of that cache is this record.
 *
 * @param modelDir the checkpoint folder, as every executor sees it
 */
public record BaseModelSpec(String modelDir) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Validates the path. */
  public BaseModelSpec {
    if (modelDir == null || modelDir.isBlank()) {
      throw new IllegalArgumentException(
          "modelDir must name the base model's checkpoint folder (the same path on every node)");
    }
  }
}
