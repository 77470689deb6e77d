package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.optim.Optimizer;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.reference.ReferenceModel;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.LocalRolloutSource;
import rlhf4j.rollout.RolloutSource;

/**
 * Builds a {@link PpoTrainer} ({@link PpoTrainer#builder()}): the policy model, its trainable
 * parameters, a value head and a reference are required; the rest starts from defaults.
 */
public final class PpoTrainerBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(PpoTrainer.class);

  CausalLM model;
  Map<String, NDArray> trainable;
  ValueHead valueHead;
  ReferenceModel reference;
  PpoConfig config = PpoConfig.builder().build();
  Optimizer optimizer;
  final List<StatsListener> listeners = new ArrayList<>();
  GenerationConfig generation;
  RolloutSource rolloutSource;
  Tokenizer tokenizer;
  long padId = -1;
  boolean gradientCheckpointing;

  PpoTrainerBuilder() {}

  /**
   * Recompute each transformer block in the backward instead of keeping its activations (less
   * memory, one more forward through the blocks); same gradients up to float rounding.
   */
  public PpoTrainerBuilder gradientCheckpointing(boolean v) {
    gradientCheckpointing = v;
    return this;
  }

  public PpoTrainerBuilder model(CausalLM v) {
    model = v;
    return this;
  }

  /** Parameters to train besides the value head (LoRA adapters, or a finetuning strategy's). */
  public PpoTrainerBuilder trainable(Map<String, NDArray> v) {
    trainable = v;
    return this;
  }

  public PpoTrainerBuilder valueHead(ValueHead v) {
    valueHead = v;
    return this;
  }

  public PpoTrainerBuilder reference(ReferenceModel v) {
    reference = v;
    return this;
  }

  public PpoTrainerBuilder config(PpoConfig v) {
    config = v;
    return this;
  }

  /**
   * Default: Adam (TRL classic) at {@code config.learningRate()}, constant, closed with the
   * trainer. A given optimizer stays the caller's to close.
   */
  public PpoTrainerBuilder optimizer(Optimizer v) {
    optimizer = v;
    return this;
  }

  public PpoTrainerBuilder listener(StatsListener v) {
    listeners.add(v);
    return this;
  }

  /**
   * Rollout settings of the local generator ({@link LocalRolloutSource}) that {@link
   * PpoTrainer#train} uses unless a {@link #rolloutSource} is set; its temperature must equal the
   * config's.
   */
  public PpoTrainerBuilder generation(GenerationConfig v) {
    generation = v;
    return this;
  }

  /**
   * Where {@link PpoTrainer#train} gets its rollouts (a remote or distributed source); default: the
   * local generator of {@link #generation}. Its log-probs must be under {@code
   * config.temperature()}.
   */
  public PpoTrainerBuilder rolloutSource(RolloutSource v) {
    rolloutSource = v;
    return this;
  }

  /** Decodes texts for reward functions (optional). */
  public PpoTrainerBuilder tokenizer(Tokenizer v) {
    tokenizer = v;
    return this;
  }

  /** Padding id for batches (default: the model's EOS id, masked). */
  public PpoTrainerBuilder padId(long v) {
    padId = v;
    return this;
  }

  public PpoTrainer build() {
    return new PpoTrainer(this);
  }

  /** The caller's trainables, then the value head's parameters (made trainable). */
  Map<String, NDArray> trainableWithValueHead() {
    if (trainable == null || trainable.isEmpty()) {
      throw new IllegalArgumentException(
          "no trainable parameters: pass the LoRA adapters' trainableParameters() (or a"
              + " Finetuning strategy's)");
    }
    Map<String, NDArray> t = new LinkedHashMap<>(trainable);
    valueHead.setTrainable(true);
    for (Map.Entry<String, NDArray> e : valueHead.parameters().entrySet()) {
      if (t.put(e.getKey(), e.getValue()) != null) {
        throw new IllegalArgumentException("trainable parameter name clash: " + e.getKey());
      }
    }
    return Collections.unmodifiableMap(t);
  }

  /**
   * The rollout source: the given one, else the local generator of {@link #generation}, else null.
   */
  RolloutSource rollouts() {
    if (generation != null) {
      checkGeneration(generation, config);
    }
    if (rolloutSource != null || generation == null) {
      return rolloutSource;
    }
    return new LocalRolloutSource(model, generation, valueHead, tokenizer, config.seed());
  }

  private static void checkGeneration(GenerationConfig generation, PpoConfig config) {
    if (Math.abs(generation.sampling().logProbTemperature() - config.temperature()) > 1e-12) {
      throw new IllegalArgumentException(
          "generation temperature "
              + generation.sampling().temperature()
              + " differs from PpoConfig.temperature "
              + config.temperature()
              + ": rollouts, reference and training log-probs must use one temperature");
    }
    if (generation.sampling().biasesKl()) {
      LOG.warn(
          "rollouts use greedy/top-k/top-p/min-p/repetition penalty: the KL penalty and the PPO"
              + " ratio assume plain temperature sampling, so expect a biased (even negative) KL");
    }
  }
}
