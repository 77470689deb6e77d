package rlhf4j.ppo.reinforce;

import rlhf4j.ppo.ConfigChecks;
import rlhf4j.ppo.GroupTrainerBase;

/**
 * Hyper-parameters of REINFORCE++ with OpenRLHF v0.11's defaults ({@code
 * openrlhf/cli/train_ppo_ray.py}; OpenRLHF flags in brackets). Build with {@link #builder()}.
 *
 * @param klCoef per-token k1 KL penalty, 0.01 ({@code --algo.kl.init_coef}); values {@literal <=} 0
 *     mean 0
 * @param gamma discount of the returns, 1 ({@code --algo.advantage.gamma}); must be 1 with the
 *     baseline (OpenRLHF forces it)
 * @param rewardClipLow lower score clip, -10 ({@code --reward.clip_range})
 * @param rewardClipHigh upper score clip, 10 ({@code --reward.clip_range})
 * @param baseline subtract the group mean score first, false ({@code --algo.advantage.estimator
 *     reinforce_baseline} instead of {@code reinforce})
 * @param samplesPerPrompt completions per prompt, 1 ({@code --rollout.n_samples_per_prompt}); must
 *     be > 1 with the baseline
 * @param stdNorm divide the whitened advantages by the std, true (false is {@code
 *     --algo.advantage.no_std_norm})
 * @param epsClip PPO clip of the policy loss, 0.2 ({@code --actor.eps_clip})
 * @param maxEpochs optimizer passes over each rollout batch, 1 (OpenRLHF's max epochs; flag name
 *     not re-read [unverified])
 * @param temperature sampling temperature, 1.0 (OpenRLHF's rollout temperature [unverified])
 * @param learningRate actor step size, 1e-6 (OpenRLHF's actor learning rate [unverified])
 */
public record ReinforceConfig(
    double klCoef,
    double gamma,
    double rewardClipLow,
    double rewardClipHigh,
    boolean baseline,
    int samplesPerPrompt,
    boolean stdNorm,
    double epsClip,
    int maxEpochs,
    double temperature,
    double learningRate)
    implements GroupTrainerBase.GroupConfig {

  /** Validates every field. */
  public ReinforceConfig {
    if (!Double.isFinite(klCoef)) {
      throw new IllegalArgumentException("klCoef must be finite, got " + klCoef);
    }
    if (!(gamma > 0 && gamma <= 1)) {
      throw new IllegalArgumentException("gamma must be in (0, 1], got " + gamma);
    }
    if (!(rewardClipLow < rewardClipHigh)) {
      throw new IllegalArgumentException(
          "rewardClipLow must be < rewardClipHigh, got "
              + rewardClipLow
              + " and "
              + rewardClipHigh);
    }
    ConfigChecks.atLeast("samplesPerPrompt", samplesPerPrompt, 1);
    if (baseline && samplesPerPrompt < 2) {
      throw new IllegalArgumentException(
          "the REINFORCE++ baseline needs samplesPerPrompt > 1, got "
              + samplesPerPrompt
              + "; with one sample every advantage would be 0");
    }
    if (baseline && gamma != 1.0) {
      throw new IllegalArgumentException(
          "gamma must be 1 with the baseline (OpenRLHF sets it to 1), got " + gamma);
    }
    if (!(epsClip > 0 && epsClip < 1)) {
      throw new IllegalArgumentException("epsClip must be in (0, 1), got " + epsClip);
    }
    ConfigChecks.atLeast("maxEpochs", maxEpochs, 1);
    ConfigChecks.positive("temperature", temperature);
    ConfigChecks.positive("learningRate", learningRate);
  }

  /** {@code samplesPerPrompt}, the completions per prompt. */
  @Override
  public int groupSize() {
    return samplesPerPrompt;
  }

  /** A builder starting from OpenRLHF's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder; every setter is optional. */
  public static final class Builder {
    private double klCoef = 0.01; // OpenRLHF --algo.kl.init_coef
    private double gamma = 1.0; // OpenRLHF --algo.advantage.gamma
    private double rewardClipLow = -10; // OpenRLHF --reward.clip_range
    private double rewardClipHigh = 10;
    private boolean baseline = false; // estimator reinforce (true: reinforce_baseline)
    private int samplesPerPrompt = 1; // OpenRLHF --rollout.n_samples_per_prompt
    private boolean stdNorm = true; // not --algo.advantage.no_std_norm
    private double epsClip = 0.2; // OpenRLHF --actor.eps_clip
    private int maxEpochs = 1; // OpenRLHF max epochs
    private double temperature = 1.0; // OpenRLHF rollout temperature
    private double learningRate = 1e-6; // OpenRLHF actor learning rate

    private Builder() {}

    public Builder klCoef(double v) {
      klCoef = v;
      return this;
    }

    public Builder gamma(double v) {
      gamma = v;
      return this;
    }

    public Builder rewardClipRange(double low, double high) {
      rewardClipLow = low;
      rewardClipHigh = high;
      return this;
    }

    public Builder baseline(boolean v) {
      baseline = v;
      return this;
    }

    public Builder samplesPerPrompt(int v) {
      samplesPerPrompt = v;
      return this;
    }

    public Builder stdNorm(boolean v) {
      stdNorm = v;
      return this;
    }

    public Builder epsClip(double v) {
      epsClip = v;
      return this;
    }

    public Builder maxEpochs(int v) {
      maxEpochs = v;
      return this;
    }

    public Builder temperature(double v) {
      temperature = v;
      return this;
    }

    public Builder learningRate(double v) {
      learningRate = v;
      return this;
    }

    /** Validates and builds. */
    public ReinforceConfig build() {
      return new ReinforceConfig(
          klCoef,
          gamma,
          rewardClipLow,
          rewardClipHigh,
          baseline,
          samplesPerPrompt,
          stdNorm,
          epsClip,
          maxEpochs,
          temperature,
          learningRate);
    }
  }
}
