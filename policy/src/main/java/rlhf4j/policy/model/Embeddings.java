package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import rlhf4j.policy.quant.QuantizedWeight;

/**
 * The input side of a model: token embedding (float32 or quantised codes), the family's embedding
 * scale, and the learned position table when the family has one. // (B, T) → (B, T, D)
 */
final class Embeddings {
  private NDArray tokens; // (V, D) float32, or the codes when quantised
  private QuantizedWeight tokensQuantized; // null unless the embedding is quantised
  private final NDArray positions; // (P, D) or null with rotary positions
  private final double scale;
  private final int maxPositions;

  Embeddings(
      NDArray tokens,
      QuantizedWeight tokensQuantized,
      NDArray positions,
      double scale,
      int maxPositions) {
    this.tokens = tokens;
    this.tokensQuantized = tokensQuantized;
    this.positions = positions;
    this.scale = scale;
    this.maxPositions = maxPositions;
  }

  /** The token table as stored (the codes when quantised). // (V, D) */
  NDArray tokens() {
    return tokens;
  }

  /** Switches the token table to its quantised form. */
  void setQuantized(QuantizedWeight q) {
    this.tokens = q.data();
    this.tokensQuantized = q;
  }

  /** Whether a backward must reach a table. */
  boolean trainable() {
    return (tokensQuantized == null && tokens.hasGradient())
        || (positions != null && positions.hasGradient());
  }

  /** Token (scaled, plus learned position) embeddings // (B, T) → (B, T, D). */
  NDArray embed(NDArray inputIds, NDArray positionIds) {
    NDArray x =
        tokensQuantized != null
            ? tokensQuantized.rows(inputIds)
            : Embedding.embedding(inputIds, tokens, SparseFormat.DENSE).singletonOrThrow();
    if (scale != 1.0) {
      x = Scalars.mul(x, scale);
    }
    if (positions != null) {
      long maxPos = positionIds.max().getLong();
      if (maxPos >= maxPositions) {
        throw new IllegalArgumentException(
            "position "
                + maxPos
                + " is past the model's "
                + maxPositions
                + " learned positions; shorten the sequence");
      }
      x = x.add(Embedding.embedding(positionIds, positions, SparseFormat.DENSE).singletonOrThrow());
    }
    return x;
  }
}
