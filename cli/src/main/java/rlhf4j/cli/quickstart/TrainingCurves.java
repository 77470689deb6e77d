package rlhf4j.cli.quickstart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-step curves of phase 5, whichever algorithm ran it.
 *
 * @param algorithm the algorithm that ran
 * @param steps the step numbers
 * @param scores the mean reward of each step's rollouts (PPO {@code objective/scores}, GRPO and
 *     RLOO {@code reward}); for DPO, which has no rollouts, TRL's {@code rewards/margins}
 * @param kls the KL to the reference of each step (PPO {@code objective/kl}, GRPO and RLOO {@code
 *     kl}); for DPO the mean log-ratio {@code log pi - log pi_ref} of the chosen completions
 * @param policyLoss the policy loss of each step ({@code ppo/loss/policy} or {@code loss})
 * @param valueLoss PPO's {@code ppo/loss/value}; empty for the critic-free algorithms
 * @param judgedPositive the grammar-judged positive rate of each step's rollouts; empty for DPO
 * @param distributed the last step's {@code distributed/...} traffic stats when the rollouts ran on
 *     Spark; empty otherwise
 */
record TrainingCurves(
    QuickstartAlgorithm algorithm,
    List<Double> steps,
    List<Double> scores,
    List<Double> kls,
    List<Double> policyLoss,
    List<Double> valueLoss,
    List<Double> judgedPositive,
    Map<String, Double> distributed) {

  /** Empty, growable curves. */
  static TrainingCurves empty(QuickstartAlgorithm algorithm) {
    return new TrainingCurves(
        algorithm,
        new ArrayList<>(),
        new ArrayList<>(),
        new ArrayList<>(),
        new ArrayList<>(),
        new ArrayList<>(),
        new ArrayList<>(),
        new LinkedHashMap<>());
  }

  /** The number of steps recorded. */
  int size() {
    return steps.size();
  }

  /** The first step's score. */
  double firstScore() {
    return scores.get(0);
  }

  /** The last step's score. */
  double lastScore() {
    return scores.get(scores.size() - 1);
  }

  /** The last step's KL. */
  double lastKl() {
    return kls.get(kls.size() - 1);
  }
}
