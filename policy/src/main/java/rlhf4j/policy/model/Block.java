package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Objects;

/**
 * One transformer block: pre-norm {@code x + attn(norm1(x))} then {@code + mlp(norm2(·))}, with a
 * parallel residual (GPT-NeoX) {@code x + attn(norm1(x)) + mlp(norm2(x))}, or post-norm (OLMo 2)
 * {@code x + norm1(attn(x))} then {@code + norm2(mlp(·))}; see {@link ResidualLayout}.
 */
public final class Block {
  private final Norm norm1;
  private final Attention attention;
  private final Norm norm2;
  private final Mlp mlp;
  private final ResidualLayout residual;
  private final Norm postAttention; // SANDWICH only
  private final Norm postMlp;

  public Block(Norm norm1, Attention attention, Norm norm2, Mlp mlp, ResidualLayout residual) {
    this(norm1, attention, norm2, mlp, residual, null, null);
  }

  /**
   * A block whose attention and MLP outputs are normalised again ({@code postAttention}, {@code
   * postMlp}) before the residual add; both are required with {@link ResidualLayout#SANDWICH} and
   * not allowed otherwise.
   */
  public Block(
      Norm norm1,
      Attention attention,
      Norm norm2,
      Mlp mlp,
      ResidualLayout residual,
      Norm postAttention,
      Norm postMlp) {
    if ((residual == ResidualLayout.SANDWICH) != (postAttention != null && postMlp != null)) {
      throw new IllegalArgumentException(
          "post-attention and post-MLP norms go with the SANDWICH layout only, got " + residual);
    }
    this.postAttention = postAttention;
    this.postMlp = postMlp;
    this.norm1 = norm1;
    this.attention = attention;
    this.norm2 = norm2;
    this.mlp = mlp;
    this.residual = Objects.requireNonNull(residual, "residual");
  }

  public NDArray forward(NDArray x, ForwardContext ctx) { // (B, T, D)
    if (residual == ResidualLayout.SANDWICH) {
      NDArray h = x.add(postAttention.forward(attention.forward(norm1.forward(x), ctx)));
      return h.add(postMlp.forward(mlp.forward(norm2.forward(h), ctx.training())));
    }
    if (residual == ResidualLayout.POST_NORM) {
      NDArray h = x.add(norm1.forward(attention.forward(x, ctx)));
      return h.add(norm2.forward(mlp.forward(h, ctx.training())));
    }
    NDArray attn = attention.forward(norm1.forward(x), ctx);
    if (residual == ResidualLayout.PARALLEL) {
      return x.add(attn).add(mlp.forward(norm2.forward(x), ctx.training()));
    }
    NDArray h = x.add(attn);
    return h.add(mlp.forward(norm2.forward(h), ctx.training()));
  }

  void collectLinears(List<Linear> sink) {
    attention.collectLinears(sink);
    mlp.collectLinears(sink);
  }
}
