package rlhf4j.policy.model;

import java.util.Locale;

/** How large a model of a given shape is, estimated before anything is allocated. */
public final class ModelSize {
  private ModelSize() {}

  /**
   * A lower bound on the parameter count of {@code c}'s shape: embeddings (and an untied head), the
   * attention projections and two MLP matrices per layer; norms, biases and a third gated-MLP
   * matrix left out. Computed in doubles, so absurd configs do not overflow.
   */
  public static double approxParameterCount(ModelConfig c) {
    double attention =
        (double) c.hiddenSize() * c.headDim() * (2.0 * c.numHeads() + 2.0 * c.numKvHeads());
    double mlp = 2.0 * c.hiddenSize() * c.intermediateSize();
    double embeddings = (double) c.vocabSize() * c.hiddenSize() * (c.tieWordEmbeddings() ? 1 : 2);
    return embeddings + c.numLayers() * (attention + mlp);
  }

  /**
   * Refuses a shape whose weights cannot fit in {@code availableBytes} even at one byte per
   * parameter (int8).
   *
   * @throws IllegalArgumentException naming the fields that set the size
   */
  public static void requireFits(ModelConfig c, long availableBytes) {
    double params = approxParameterCount(c);
    if (params > availableBytes) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "config.json describes a model of at least %.3g parameters (vocab_size %d, hidden"
                  + " %d, %d layers, intermediate %d), more than this machine's %.1f GB of memory"
                  + " can hold even as int8: check num_hidden_layers / hidden_size / vocab_size",
              params,
              c.vocabSize(),
              c.hiddenSize(),
              c.numLayers(),
              c.intermediateSize(),
              availableBytes / 1e9));
    }
  }
}
