package rlhf4j.policy.optim;

/**
 * Hyper-parameters of Adam/AdamW (Kingma and Ba 2015; Loshchilov and Hutter 2019), with the
 * defaults of {@code torch.optim.AdamW}. The learning rate comes from the optimizer's {@link
 * LrSchedule}.
 *
 * @param beta1 decay of the first moment m; torch default 0.9
 * @param beta2 decay of the second moment v; torch default 0.999
 * @param eps added to sqrt(v̂) in the denominator; torch default 1e-8
 * @param weightDecay weight decay; torch AdamW default 0.01, torch Adam default 0
 * @param decoupled true: AdamW, {@code p -= lr·weightDecay·p} before the update; false: Adam, L2
 *     term {@code weightDecay·p} added to the gradient
 */
public record AdamWConfig(
    double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {

  /** Validates every field. */
  public AdamWConfig {
    if (!(beta1 >= 0 && beta1 < 1)) {
      throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
    }
    if (!(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
    }
    if (!(eps >= 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
    }
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new IllegalArgumentException("weightDecay must be finite and >= 0, got " + weightDecay);
    }
  }

  /** torch.optim.AdamW defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01, decoupled. */
  public static AdamWConfig defaults() {
    return builder().build();
  }

  /** torch.optim.Adam defaults (what TRL's classic PPOTrainer uses): weight decay 0, coupled. */
  public static AdamWConfig adam() {
    return builder().optWeightDecay(0).optDecoupled(false).build();
  }

  /** A builder starting from the torch.optim.AdamW defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder for {@link AdamWConfig}. */
  public static final class Builder {
    private double beta1 = 0.9; // torch default
    private double beta2 = 0.999; // torch default
    private double eps = 1e-8; // torch default
    private double weightDecay = 0.01; // torch AdamW default
    private boolean decoupled = true;

    private Builder() {}

    /** Sets beta1 (default 0.9). */
    public Builder optBeta1(double beta1) {
      this.beta1 = beta1;
      return this;
    }

    /** Sets beta2 (default 0.999). */
    public Builder optBeta2(double beta2) {
      this.beta2 = beta2;
      return this;
    }

    /** Sets eps (default 1e-8). */
    public Builder optEps(double eps) {
      this.eps = eps;
      return this;
    }

    /** Sets the weight decay (default 0.01). */
    public Builder optWeightDecay(double weightDecay) {
      this.weightDecay = weightDecay;
      return this;
    }

    /** Decoupled (AdamW, default) or L2-in-the-gradient (Adam) weight decay. */
    public Builder optDecoupled(boolean decoupled) {
      this.decoupled = decoupled;
      return this;
    }

    /** Builds and validates the config. */
    public AdamWConfig build() {
      return new AdamWConfig(beta1, beta2, eps, weightDecay, decoupled);
    }
  }
}
