package rlhf4j.cli.quickstart;

import java.util.Objects;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.dpo.DpoConfig;
import rlhf4j.ppo.dpo.DpoLossType;
import rlhf4j.ppo.grpo.GrpoConfig;
import rlhf4j.ppo.grpo.ScaleRewards;
import rlhf4j.ppo.rloo.RlooConfig;

/**
 * The recipes of the critic-free quickstart algorithms, each tuned on its own so that the judged
 * positive rate goes from about 0.45 to at least 0.9 with at least 0.9 grammatical, as PPO's
 * ({@link QuickstartRecipe#ppo()}) does. Rollouts sample at the PPO recipe's temperature (0.7), the
 * same as the evaluation, so every algorithm is judged on the same sampling.
 *
 * @param grpo GRPO ({@code --algorithm grpo})
 * @param rloo RLOO ({@code --algorithm rloo})
 * @param dpo DPO ({@code --algorithm dpo}) on the reward model's training pairs
 */
public record AlgorithmRecipes(
    PolicyRecipe<GrpoConfig> grpo, PolicyRecipe<RlooConfig> rloo, PolicyRecipe<DpoConfig> dpo) {

  /** The rollout temperature of every algorithm: the PPO recipe's and the evaluation's. */
  static final double TEMPERATURE = 0.7;

  /** Validates. */
  public AlgorithmRecipes {
    Objects.requireNonNull(grpo, "grpo");
    Objects.requireNonNull(rloo, "rloo");
    Objects.requireNonNull(dpo, "dpo");
    if (grpo.config().temperature() != TEMPERATURE || rloo.config().temperature() != TEMPERATURE) {
      throw new IllegalArgumentException(
          "grpo and rloo must sample at the evaluation's temperature "
              + TEMPERATURE
              + ", got "
              + grpo.config().temperature()
              + " and "
              + rloo.config().temperature());
    }
  }

  /** The recipes {@code fast} (CI-sized) or full selects. */
  public static AlgorithmRecipes of(boolean fast) {
    return fast ? fast() : full();
  }

  /**
   * The full runs: the same phase-5 steps as {@link #fast()} (where they were tuned); the full
   * pipeline around them has more SFT steps and reward-model pairs (DPO's data). Seed 0, one
   * thread, positive from 0.435: GRPO 0.965 (grammatical 0.965, KL 0.94), RLOO 0.935 (0.955, 1.82),
   * DPO 0.97 (0.99, 0.72).
   */
  public static AlgorithmRecipes full() {
    return fast();
  }

  /**
   * The CI-sized runs. Seed 0, one thread, judged positive rate from 0.445: GRPO 0.92 (grammatical
   * 0.965), RLOO 0.96 (0.98), DPO 0.91 (0.965).
   */
  public static AlgorithmRecipes fast() {
    return new AlgorithmRecipes(grpo(30), rloo(30), dpo(60));
  }

  /**
   * 8 prompts x G 8 per step, 4 optimizer steps per generation batch (PPO's work per step). Tuning
   * (seed 0, 30 steps, judged positive / grammatical): group scaling, lr 5e-3, beta 0.04: 0.86 /
   * 0.92 (oscillating); lr 2e-3: 0.91 / 0.95; lr 2e-3, beta 0.1: 0.905 / 0.97; the same with batch
   * scaling: 0.92 / 0.965; lr 3e-3: 0.885 / 0.93.
   */
  private static PolicyRecipe<GrpoConfig> grpo(int steps) {
    return new PolicyRecipe<>(
        GrpoConfig.builder()
            .numGenerations(8)
            .numIterations(4) // PPO's 4 epochs over each batch of rollouts
            .beta(0.1) // k3 KL: holds grammar (0.97 vs 0.95 at TRL's old 0.04)
            // a group whose completions are all positive differs only by reward-model noise; the
            // batch std keeps that noise small instead of scaling it up to unit advantages
            .scaleRewards(ScaleRewards.BATCH)
            .learningRate(2e-3) // LoRA on a tiny model; TRL's 1e-6 is for pretrained ones
            .temperature(TEMPERATURE)
            .maxCompletionLength(16)
            .build(),
        RunConfig.builder().batchSize(8).miniBatchSize(16).build(),
        steps);
  }

  /**
   * 16 prompts x G 4 per step, 4 optimizer steps per generation batch, advantages normalised over
   * the batch (the reward is unscaled), TRL's beta 0.05. First try, seed 0: 0.96 / 0.98.
   */
  private static PolicyRecipe<RlooConfig> rloo(int steps) {
    return new PolicyRecipe<>(
        RlooConfig.builder()
            .numGenerations(4)
            .numIterations(4)
            .beta(0.05) // TRL's default
            .normalizeAdvantages(true)
            .learningRate(5e-3)
            .temperature(TEMPERATURE)
            .maxCompletionLength(16)
            .build(),
        RunConfig.builder().batchSize(16).miniBatchSize(16).build(),
        steps);
  }

  /**
   * 64 pairs per step in one mini-batch, the IPO loss with tau 0.5, learning rate 3e-3 decaying
   * linearly to 0 ({@link DpoPhase}). Tuning (seed 0, judged positive / grammatical): TRL's sigmoid
   * loss with beta 0.1 drifts into broken words (0.71 / 0.75 at lr 1e-3); a larger beta holds
   * grammar but caps the shift (sigmoid beta 1.0, 40 steps: 0.89 / 0.98; beta 0.5: 0.82 / 0.90);
   * more steps at a constant rate lowered both; sentiment pairs alone (no fluency pairs) collapsed
   * to 0.03 grammatical. The linear decay kept grammar (IPO tau 0.5, 40 steps: 0.90 / 0.975 vs 0.89
   * / 0.94 constant); 60 steps: 0.91 / 0.965.
   */
  private static PolicyRecipe<DpoConfig> dpo(int steps) {
    return new PolicyRecipe<>(
        DpoConfig.builder().lossType(DpoLossType.IPO).beta(0.5).learningRate(3e-3).build(),
        RunConfig.builder().batchSize(64).miniBatchSize(128).build(),
        steps);
  }
}
