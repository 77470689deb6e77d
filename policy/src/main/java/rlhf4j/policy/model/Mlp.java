package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;

/**
 * The feed-forward part of a block: {@code down(act(up(x)))} (GPT-2, GPT-NeoX) or the gated SwiGLU
 * {@code down(act(gate(x)) · up(x))} (Llama family) when {@code gate} is set.
 */
public final class Mlp {
  private final Linear gate; // null unless gated
  private final Linear up;
  private final Linear down;
  private final Activation activation;

  public Mlp(Linear gate, Linear up, Linear down, Activation activation) {
    this.gate = gate;
    this.up = up;
    this.down = down;
    this.activation = activation;
  }

  public NDArray forward(NDArray x, boolean training) { // (B, T, D)
    NDArray h;
    if (gate != null) {
      h = activation.apply(gate.forward(x, training)).mul(up.forward(x, training));
    } else {
      h = activation.apply(up.forward(x, training)); // (B, T, I)
    }
    return down.forward(h, training);
  }

  void collectLinears(java.util.List<Linear> out) {
    if (gate != null) {
      out.add(gate);
    }
    out.add(up);
    out.add(down);
  }
}
