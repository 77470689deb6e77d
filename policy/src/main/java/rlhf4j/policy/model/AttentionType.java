package rlhf4j.policy.model;

/**
 * What one layer's attention may see, by HF's {@code layer_types} names: every earlier position
 * ({@link #FULL}) or only the last {@link ModelConfig#slidingWindow()} positions ({@link
 * #SLIDING}).
 */
public enum AttentionType {
  /** Causal attention over every earlier position. */
  FULL("full_attention"),
  /** Causal attention over the last {@code slidingWindow} positions (itself included). */
  SLIDING("sliding_attention");

  private final String hfName;

  AttentionType(String hfName) {
    this.hfName = hfName;
  }

  /** The name HF's {@code layer_types} uses. */
  public String hfName() {
    return hfName;
  }

  /** The type HF calls {@code name}; rejects others, naming those supported. */
  public static AttentionType fromHfName(String name) {
    for (AttentionType t : values()) {
      if (t.hfName.equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "layer type '"
            + name
            + "' is not supported (supported: full_attention, sliding_attention)");
  }
}
