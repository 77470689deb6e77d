package rlhf4j.cli.quickstart;

import java.util.Arrays;
import java.util.Locale;

/**
 * The policy-optimisation step of the quickstart ({@code rlhf4j quickstart --algorithm}): every
 * choice trains LoRA adapters on the same SFT model for the same synthetic task and is judged by
 * the same grammar; only phase 5 differs.
 */
public enum QuickstartAlgorithm {
  /** PPO with a value head against the reward model ({@link PpoPhase}); the default. */
  PPO("PPO"),
  /**
   * GRPO: G completions per prompt, group-relative advantages, no value head ({@link GroupPhase}).
   */
  GRPO("GRPO"),
  /** RLOO: G completions per prompt, leave-one-out baseline, no value head ({@link GroupPhase}). */
  RLOO("RLOO"),
  /**
   * DPO on the reward model's preference pairs, no rollouts and no reward model ({@link DpoPhase}).
   */
  DPO("DPO");

  private final String label;

  QuickstartAlgorithm(String label) {
    this.label = label;
  }

  /** The display name ("PPO", "GRPO", ...). */
  public String label() {
    return label;
  }

  /** The lower-case name as the CLI takes it and {@code summary.json} writes it ("ppo", ...). */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The algorithm named {@code name}, case-insensitive.
   *
   * @throws IllegalArgumentException naming the choices
   */
  public static QuickstartAlgorithm parse(String name) {
    for (QuickstartAlgorithm a : values()) {
      if (a.cliName().equalsIgnoreCase(name.strip())) {
        return a;
      }
    }
    throw new IllegalArgumentException(
        "unknown quickstart algorithm '"
            + name
            + "'; choose one of "
            + Arrays.stream(values()).map(QuickstartAlgorithm::cliName).toList());
  }
}
