package rlhf4j.policy.optim;

/**
 * Hyper-parameters of SGD with momentum, with the defaults and rules of {@code torch.optim.SGD}.
 * The learning rate comes from the optimizer's {@link LrSchedule}.
 *
 * @param momentum momentum factor μ; torch default 0 (plain SGD, no state)
 * @param dampening dampening τ of the gradient in the momentum buffer; torch default 0
 * @param weightDecay L2 term λ·p added to the gradient; torch default 0
 * @param nesterov Nesterov momentum; needs momentum &gt; 0 and dampening 0
 */
public record SgdConfig(double momentum, double dampening, double weightDecay, boolean nesterov) {

  /** Validates every field. */
  public SgdConfig {
    if (!(momentum >= 0) || Double.isInfinite(momentum)) {
      throw new IllegalArgumentException("momentum must be finite and >= 0, got " + momentum);
    }
    if (!(dampening >= 0) || Double.isInfinite(dampening)) {
      throw new IllegalArgumentException("dampening must be finite and >= 0, got " + dampening);
    }
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new IllegalArgumentException("weightDecay must be finite and >= 0, got " + weightDecay);
    }
    if (nesterov && (momentum <= 0 || dampening != 0)) {
      throw new IllegalArgumentException(
          "nesterov needs momentum > 0 and dampening 0, got momentum "
              + momentum
              + " and dampening "
              + dampening);
    }
  }

  /** A builder starting from the torch.optim.SGD defaults (all zero, no Nesterov). */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder for {@link SgdConfig}. */
  public static final class Builder {
    private double momentum; // torch default 0
    private double dampening; // torch default 0
    private double weightDecay; // torch default 0
    private boolean nesterov; // torch default false

    private Builder() {}

    /** Sets the momentum (default 0). */
    public Builder optMomentum(double momentum) {
      this.momentum = momentum;
      return this;
    }

    /** Sets the dampening (default 0). */
    public Builder optDampening(double dampening) {
      this.dampening = dampening;
      return this;
    }

    /** Sets the weight decay (default 0). */
    public Builder optWeightDecay(double weightDecay) {
      this.weightDecay = weightDecay;
      return this;
    }

    /** Enables Nesterov momentum (default false). */
    public Builder optNesterov(boolean nesterov) {
      this.nesterov = nesterov;
      return this;
    }

    /** Builds and validates the config. */
    public SgdConfig build() {
      return new SgdConfig(momentum, dampening, weightDecay, nesterov);
    }
  }
}
