package rlhf4j.policy.optim;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Objects;

/**
 * Stochastic gradient descent with momentum, following {@code torch.optim.SGD}:
 *
 * <pre>
 * g ← g + λ·p
 * b ← g                        (first update of this parameter)
 * b ← μ·b + (1 − τ)·g          (later updates)
 * g ← g + μ·b  (Nesterov)  or  g ← b
 * p ← p − lr·g
 * </pre>
 *
 * State key (only when momentum &gt; 0): {@code sgd.momentum_buffer.<param>}.
 */
public final class Sgd extends AbstractOptimizer {

  private final SgdConfig config;

  /** An optimizer with the given hyper-parameters and learning-rate schedule. */
  public Sgd(SgdConfig config, LrSchedule schedule) {
    super("sgd", schedule);
    this.config = Objects.requireNonNull(config, "config");
  }

  /** The hyper-parameters. */
  public SgdConfig config() {
    return config;
  }

  @Override
  List<Slot> slots(NDArray param) {
    if (config.momentum() == 0) {
      return List.of();
    }
    return List.of(new Slot("momentum_buffer", param.getShape(), param.getDataType()));
  }

  @Override
  void update(String name, NDArray param, NDArray grad, double lr, long paramStep) {
    NDArray d = grad;
    if (config.weightDecay() != 0) {
      d = d.add(param.mul(config.weightDecay()));
    }
    if (config.momentum() != 0) {
      NDArray buf = state("momentum_buffer", name);
      if (paramStep == 1) {
        buf.muli(0).addi(d); // torch: buf = clone(d), no dampening on the first step
      } else {
        buf.muli(config.momentum()).addi(d.mul(1 - config.dampening()));
      }
      d = config.nesterov() ? d.add(buf.mul(config.momentum())) : buf;
    }
    param.subi(d.mul(lr));
  }
}
