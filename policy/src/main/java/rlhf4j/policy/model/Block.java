package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Objects;

/**
 * One pre-norm transformer block: {@code x + attn(norm1(x))} then {@code + mlp(norm2(·))}, or with
 * a parallel residual (GPT-NeoX) {@code x + attn(norm1(x)) + mlp(norm2(x))}.
 */
public final class Block {
  private final Norm norm1;
  private final Attention attention;
  private final Norm norm2;
  private final Mlp mlp;
  private final ResidualLayout residual;

  public Block(Norm norm1, Attention attention, Norm norm2, Mlp mlp, ResidualLayout residual) {
    this.norm1 = norm1;
    this.attention = attention;
    this.norm2 = norm2;
    this.mlp = mlp;
    this.residual = Objects.requireNonNull(residual, "residual");
  }

  public NDArray forward(NDArray x, ForwardContext ctx) { // (B, T, D)
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
