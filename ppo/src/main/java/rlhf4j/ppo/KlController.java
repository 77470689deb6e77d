package rlhf4j.ppo;

/**
 * Controls the KL coefficient beta of the per-token reward {@code -beta * kl} (TRL {@code
 * AdaptiveKLController} / {@code FixedKLController}).
 */
public interface KlController {

  /** The current coefficient beta. */
  double value();

  /**
   * Called once per PPO step with the step's {@code objective/kl} and the number of rollouts it
   * consumed ({@code batchSize} times processes).
   */
  void update(double currentKl, long nSteps);

  /** The state to store in a checkpoint (the current coefficient). */
  default double exportState() {
    return value();
  }

  /** Restores a state from {@link #exportState()}. */
  void importState(double state);

  /** The controller a config asks for: adaptive when {@code adaptiveKl}, else fixed. */
  static KlController of(PpoConfig config) {
    return config.adaptiveKl()
        ? new AdaptiveKlController(config.initKlCoef(), config.klTarget(), config.klHorizon())
        : new FixedKlController(config.initKlCoef());
  }
}
