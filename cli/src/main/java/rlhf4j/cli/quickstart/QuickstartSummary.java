package rlhf4j.cli.quickstart;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outcome of a quickstart run, as written to {@code summary.json}. Rates are judged by the
 * grammar ({@link SentimentGrammar#judge}), not by the reward model.
 *
 * @param positiveRateBefore fraction of evaluation samples of the SFT policy (adapters off) that
 *     are grammatical and positive
 * @param positiveRateAfter the same for the trained policy (PPO, GRPO, RLOO or DPO)
 * @param grammaticalRateBefore fraction of SFT samples that are grammatical sentences
 * @param grammaticalRateAfter fraction of PPO samples that are grammatical sentences
 * @param klFinal mean over evaluation samples of the PPO policy of Σ_t (log π − log π_ref) of the
 *     sampled response, in nats
 * @param rewardModelAccuracy held-out fraction of pairs the reward model orders correctly
 * @param wallSeconds wall-clock seconds of the whole run
 * @param evalSamples samples per policy in the evaluation
 * @param ppoSteps phase-5 steps taken (PPO's, or GRPO's, RLOO's, DPO's)
 * @param sftFinalLoss SFT loss of the last step
 * @param rewardFirstStep mean reward of the first batch of rollouts (PPO {@code objective/scores},
 *     GRPO/RLOO {@code reward}); for DPO, which has no rollouts, the first step's {@code
 *     rewards/margins}
 * @param rewardLastStep the same of the last step
 * @param klLastStep the last step's KL to the reference (PPO {@code objective/kl}, GRPO/RLOO {@code
 *     kl}); for DPO the last batch's mean log-ratio of the chosen completions
 * @param threads PyTorch intra-op threads used
 * @param seed the run's seed
 * @param fast whether the CI-sized recipe ran
 * @param phaseSeconds wall-clock seconds per phase, in pipeline order
 * @param algorithm the phase-5 algorithm
 */
public record QuickstartSummary(
    double positiveRateBefore,
    double positiveRateAfter,
    double grammaticalRateBefore,
    double grammaticalRateAfter,
    double klFinal,
    double rewardModelAccuracy,
    double wallSeconds,
    int evalSamples,
    int ppoSteps,
    double sftFinalLoss,
    double rewardFirstStep,
    double rewardLastStep,
    double klLastStep,
    int threads,
    long seed,
    boolean fast,
    Map<String, Double> phaseSeconds,
    QuickstartAlgorithm algorithm) {

  /** Copies the phase map. */
  public QuickstartSummary {
    java.util.Objects.requireNonNull(algorithm, "algorithm");
    phaseSeconds = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(phaseSeconds));
  }

  /** The {@code summary.json} object (snake_case keys, the six headline keys first). */
  public JsonObject toJson() {
    JsonObject j = new JsonObject();
    j.addProperty("positive_rate_before", round(positiveRateBefore));
    j.addProperty("positive_rate_after", round(positiveRateAfter));
    j.addProperty("grammatical_rate_after", round(grammaticalRateAfter));
    j.addProperty("kl_final", round(klFinal));
    j.addProperty("reward_model_accuracy", round(rewardModelAccuracy));
    j.addProperty("wall_seconds", round(wallSeconds));
    j.addProperty("grammatical_rate_before", round(grammaticalRateBefore));
    j.addProperty("eval_samples", evalSamples);
    j.addProperty("ppo_steps", ppoSteps);
    j.addProperty("sft_final_loss", round(sftFinalLoss));
    j.addProperty("reward_first_step", round(rewardFirstStep));
    j.addProperty("reward_last_step", round(rewardLastStep));
    j.addProperty("kl_last_step", round(klLastStep));
    j.addProperty("threads", threads);
    j.addProperty("seed", seed);
    j.addProperty("fast", fast);
    j.addProperty("algorithm", algorithm.cliName());
    JsonObject phases = new JsonObject();
    phaseSeconds.forEach((k, v) -> phases.addProperty(k, round(v)));
    j.add("phase_seconds", phases);
    return j;
  }

  /** {@link #toJson()} pretty-printed, with a final newline. */
  public String toJsonString() {
    return new GsonBuilder().setPrettyPrinting().create().toJson(toJson()) + "\n";
  }

  private static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 10000) / 10000.0 : v;
  }
}
