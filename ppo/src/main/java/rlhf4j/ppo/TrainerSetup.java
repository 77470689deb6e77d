package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.optim.AdamW;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.policy.optim.LrSchedule;
import rlhf4j.policy.optim.Optimizer;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.reference.ReferenceModel;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.LocalRolloutSource;
import rlhf4j.rollout.RolloutSource;

/**
 * What the critic-free and preference trainers (GRPO, RLOO, REINFORCE++, DPO) are built from
 * besides their configs: the policy, its trainable parameters, a reference, and optionally an
 * optimizer, listeners, rollouts and a tokenizer. A builder: set what you have, pass it to the
 * trainer's constructor.
 */
public final class TrainerSetup {
  private CausalLM model;
  private Map<String, NDArray> trainable;
  private ReferenceModel reference;
  private Optimizer optimizer;
  private final List<StatsListener> listeners = new ArrayList<>();
  private GenerationConfig generation;
  private RolloutSource rolloutSource;
  private Tokenizer tokenizer;
  private long padId = -1;
  private boolean gradientCheckpointing;
  private GradientSource gradientSource;

  /** An empty setup; the model and trainable parameters are required. */
  public static TrainerSetup builder() {
    return new TrainerSetup();
  }

  public TrainerSetup model(CausalLM v) {
    model = v;
    return this;
  }

  /** The arrays to train (LoRA adapters' {@code trainableParameters()}). */
  public TrainerSetup trainable(Map<String, NDArray> v) {
    trainable = v;
    return this;
  }

  /**
   * The reference policy ({@code AdapterSwitchingReference} for a fresh adapter, {@code
   * RefAdapterReference} for one trained before); required unless the algorithm needs none (GRPO
   * with {@code beta = 0}).
   */
  public TrainerSetup reference(ReferenceModel v) {
    reference = v;
    return this;
  }

  /**
   * Default: AdamW without weight decay (HF {@code TrainingArguments}: {@code adamw_torch}, {@code
   * weight_decay} 0) at the config's learning rate, constant; closed with the trainer. A given
   * optimizer stays the caller's to close.
   */
  public TrainerSetup optimizer(Optimizer v) {
    optimizer = v;
    return this;
  }

  public TrainerSetup listener(StatsListener v) {
    listeners.add(Objects.requireNonNull(v, "listener"));
    return this;
  }

  /** Settings of the local generator used unless a {@link #rolloutSource} is set. */
  public TrainerSetup generation(GenerationConfig v) {
    generation = v;
    return this;
  }

  /** Where rollouts come from (default: the local generator of {@link #generation}). */
  public TrainerSetup rolloutSource(RolloutSource v) {
    rolloutSource = v;
    return this;
  }

  /** Decodes prompts for reward functions (optional). */
  public TrainerSetup tokenizer(Tokenizer v) {
    tokenizer = v;
    return this;
  }

  /** Padding id for batches (default: the model's EOS id, masked). */
  public TrainerSetup padId(long v) {
    padId = v;
    return this;
  }

  /** Recompute each block in the backward (less memory, one more forward). */
  public TrainerSetup gradientCheckpointing(boolean v) {
    gradientCheckpointing = v;
    return this;
  }

  /**
   * Where the update's gradients are computed (default null: every backward in this process); a
   * data-parallel source (Spark executors) for GRPO only.
   */
  public TrainerSetup gradientSource(GradientSource v) {
    gradientSource = v;
    return this;
  }

  // ------------------------------------------------------------------ resolved, for trainers

  /** The policy. */
  public CausalLM requireModel() {
    return Objects.requireNonNull(model, "model: set TrainerSetup.model");
  }

  /** The trainable arrays; never empty. */
  public Map<String, NDArray> requireTrainable() {
    if (trainable == null || trainable.isEmpty()) {
      throw new IllegalArgumentException(
          "no trainable parameters: pass the LoRA adapters' trainableParameters()");
    }
    return java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(trainable));
  }

  /**
   * The reference, or null when {@code needed} is false.
   *
   * @throws IllegalArgumentException when needed and not set
   */
  public ReferenceModel reference(boolean needed, String why) {
    if (needed && reference == null) {
      throw new IllegalArgumentException(
          "no reference: " + why + "; set TrainerSetup.reference (AdapterSwitchingReference)");
    }
    return needed ? reference : null;
  }

  /** Whether the caller gave an optimizer (then the trainer does not close it). */
  public boolean hasOptimizer() {
    return optimizer != null;
  }

  /** The given optimizer, or AdamW without weight decay at {@code learningRate}, constant. */
  public Optimizer optimizerOr(double learningRate) {
    return optimizer != null
        ? optimizer
        : new AdamW(
            AdamWConfig.builder().optWeightDecay(0).build(), LrSchedule.constant(learningRate));
  }

  public List<StatsListener> listeners() {
    return List.copyOf(listeners);
  }

  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** The EOS id rollouts end with: the generation config's, else the model's (-1 for none). */
  public long eosId() {
    return generation != null ? generation.eosTokenId() : requireModel().config().eosTokenId();
  }

  /** The padding id: the one set, else the model's EOS id (else 0). */
  public long padId() {
    return padId >= 0 ? padId : Math.max(0, requireModel().config().eosTokenId());
  }

  public boolean gradientCheckpointing() {
    return gradientCheckpointing;
  }

  /** The gradient source, or null for the update in this process. */
  public GradientSource gradientSource() {
    return gradientSource;
  }

  /**
   * The rollout source: the given one, else the local generator of {@link #generation} (seeded from
   * {@code seed} and the step), else null (no rollouts: preference training).
   *
   * @throws IllegalArgumentException if the generation temperature is not {@code temperature}
   */
  public RolloutSource rollouts(double temperature, long seed) {
    if (generation != null
        && Math.abs(generation.sampling().logProbTemperature() - temperature) > 1e-12) {
      throw new IllegalArgumentException(
          "generation temperature "
              + generation.sampling().temperature()
              + " differs from the config's temperature "
              + temperature
              + ": rollouts, reference and training log-probs must use one temperature");
    }
    if (rolloutSource != null || generation == null) {
      return rolloutSource;
    }
    return new LocalRolloutSource(requireModel(), generation, null, tokenizer, seed);
  }
}
