package rlhf4j.policy.optim;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Objects;

/**
 * Adam/AdamW with fp32 (parameter-dtype) moments, following {@code torch.optim.AdamW} (and {@code
 * torch.optim.Adam} when {@link AdamWConfig#decoupled()} is false), step t counted per parameter:
 *
 * <pre>
 * p ← p·(1 − lr·λ)                        (AdamW; Adam instead uses g ← g + λ·p)
 * m ← β1·m + (1 − β1)·g
 * v ← β2·v + (1 − β2)·g²
 * p ← p − lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + eps)
 * </pre>
 *
 * State keys: {@code adamw.m.<param>}, {@code adamw.v.<param>} (both for Adam and AdamW).
 */
public final class AdamW extends AbstractOptimizer {

  private final AdamWConfig config;

  /** An optimizer with the given hyper-parameters and learning-rate schedule. */
  public AdamW(AdamWConfig config, LrSchedule schedule) {
    super("adamw", schedule);
    this.config = Objects.requireNonNull(config, "config");
  }

  /** The hyper-parameters. */
  public AdamWConfig config() {
    return config;
  }

  @Override
  List<Slot> slots(NDArray param) {
    return List.of(
        new Slot("m", param.getShape(), param.getDataType()),
        new Slot("v", param.getShape(), param.getDataType()));
  }

  @Override
  void update(String name, NDArray param, NDArray grad, double lr, long paramStep) {
    NDArray m = state("m", name);
    NDArray v = state("v", name);
    double wd = config.weightDecay();
    if (wd != 0) {
      if (config.decoupled()) {
        param.muli(1 - lr * wd);
      } else {
        grad = grad.add(param.mul(wd));
      }
    }
    m.muli(config.beta1()).addi(grad.mul(1 - config.beta1()));
    v.muli(config.beta2()).addi(grad.square().muli(1 - config.beta2()));
    applyAdamUpdate(param, m, v, lr, paramStep, config);
  }

  /** {@code p -= lr/bc1 · m/(sqrt(v)/sqrt(bc2) + eps)}, shared with {@link AdamW8bit}. */
  static void applyAdamUpdate(
      NDArray param, NDArray m, NDArray v, double lr, long paramStep, AdamWConfig config) {
    double biasCorrection1 = 1 - Math.pow(config.beta1(), paramStep);
    double biasCorrection2 = 1 - Math.pow(config.beta2(), paramStep);
    double stepSize = lr / biasCorrection1;
    NDArray denom = v.sqrt().divi(Math.sqrt(biasCorrection2)).addi(config.eps());
    param.subi(m.div(denom).muli(stepSize));
  }
}
