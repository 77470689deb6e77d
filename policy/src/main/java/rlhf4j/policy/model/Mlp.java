package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;

/**
 * The feed-forward part of a block: {@code down(act(up(x)))} (GPT-2, GPT-NeoX), the gated SwiGLU
 * {@code down(act(gate(x)) · up(x))} (Llama family) when {@code gate} is set, or the same with gate
 * and up fused in one projection whose output is [gate | up] ({@link #fusedGateUp}, Phi-3).
 */
public final class Mlp {
  private final Linear gate; // null unless gated
  private final Linear up;
  private final Linear down;
  private final Activation activation;
  private final boolean fused; // up holds [gate | up]

  public Mlp(Linear gate, Linear up, Linear down, Activation activation) {
    this(gate, up, down, activation, false);
  }

  private Mlp(Linear gate, Linear up, Linear down, Activation activation, boolean fused) {
    this.fused = fused;
    this.gate = gate;
    this.up = up;
    this.down = down;
    this.activation = activation;
  }

  /**
   * A gated MLP whose gate and up projections are one Linear with output [gate | up] (Phi-3
   * gate_up_proj: {@code gate, up = gate_up_proj(x).chunk(2, -1); down(up · act(gate))}).
   */
  public static Mlp fusedGateUp(Linear gateUp, Linear down, Activation activation) {
    return new Mlp(null, gateUp, down, activation, true);
  }

  public NDArray forward(NDArray x, boolean training) { // (B, T, D)
    NDArray h;
    if (fused) {
      ai.djl.ndarray.NDList parts = up.forward(x, training).split(2, 2); // 2 × (B, T, I)
      h = gated(activation.apply(parts.get(0)), parts.get(1));
    } else if (gate != null) {
      NDArray act = activation.apply(gate.forward(x, training)); // gate first: dropout's draws
      h = gated(act, up.forward(x, training));
    } else {
      h = activation.apply(up.forward(x, training)); // (B, T, I)
    }
    return down.forward(h, training);
  }

  /**
   * act · up; without a graph written into {@code act}, which the caller made for this product
   * alone (bitwise the same: float multiplication commutes).
   */
  private static NDArray gated(NDArray act, NDArray up) { // (B, T, I)
    if (InPlace.allowed()) {
      act.muli(up);
      return act;
    }
    return act.mul(up);
  }

  void collectLinears(java.util.List<Linear> out) {
    if (gate != null) {
      out.add(gate);
    }
    out.add(up);
    out.add(down);
  }
}
