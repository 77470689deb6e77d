package rlhf4j.reward.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import rlhf4j.policy.optim.AdamW;
import rlhf4j.policy.optim.GradClip;
import rlhf4j.policy.optim.LrSchedule;
import rlhf4j.policy.optim.Optimizer;
import rlhf4j.policy.optim.Warmup;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.policy.train.Seeds;

/**
 * Trains a {@link RewardModel} on preference pairs with the pairwise loss of {@link PairwiseLoss}
 * (TRL {@code RewardTrainer}): per step, the chosen and rejected sequences of a mini-batch go
 * through one forward pass, the loss is back-propagated ({@code CausalLM.backward}, recomputing
 * each block when {@link RewardTrainerConfig#gradientCheckpointing}), gradients are clipped by
 * global norm and AdamW updates the trainable parameters. Epoch e visits the pairs in the
 * permutation drawn from {@code Seeds.rng(seed, e, Seeds.DATA_ORDER)} (the seed scheme of every
 * trainer); the held-out pairs are evaluated after every epoch. A NaN or infinite loss or gradient
 * norm raises {@link DivergenceException} before the optimizer step, so the weights stay those of
 * the last good step.
 *
 * <p>Metrics ({@link RewardMetricsListener}): {@code train/loss}, {@code train/accuracy} (fraction
 * r_c &gt; r_r), {@code train/margin} (mean r_c − r_r), {@code train/rewards/chosen}, {@code
 * train/rewards/rejected}, {@code train/grad_norm} (before clipping; only when clipping is on),
 * {@code train/learning_rate}, {@code train/epoch} (fractional); and {@code eval/loss}, {@code
 * eval/accuracy}, {@code eval/margin}, {@code eval/rewards/chosen}, {@code eval/rewards/rejected},
 * {@code eval/epoch}.
 *
 * <p>Trainable parameters: by default every parameter of the model (backbone and score head). To
 * train adapters instead (LoRA), freeze the model, attach the adapters and pass their arrays (plus
 * {@code score.weight}, usually) to {@link #RewardTrainer(RewardModel, RewardTrainerConfig, Map)}.
 * Not thread-safe.
 */
public final class RewardTrainer {
  private static final String HINT =
      "the weights are those of the last good step; lower learningRate or keep maxGradNorm > 0";
  private final RewardModel model;
  private final RewardTrainerConfig config;
  private final Map<String, NDArray> trainable;
  private final List<RewardMetricsListener> listeners = new ArrayList<>();
  private long steps;

  /** A trainer that trains every parameter of {@code model} (marks them trainable). */
  public RewardTrainer(RewardModel model, RewardTrainerConfig config) {
    this(checked(model), config, trainAll(model));
  }

  private static RewardModel checked(RewardModel model) {
    return Objects.requireNonNull(model, "model");
  }

  private static Map<String, NDArray> trainAll(RewardModel model) {
    model.setTrainable(true);
    return model.parameters();
  }

  /**
   * A trainer that updates only {@code trainableParameters} (the hook for LoRA adapters): each must
   * require a gradient; freeze everything else so that no gradient accumulates on it.
   *
   * @param trainableParameters name to leaf array, used as the optimizer's keys
   */
  public RewardTrainer(
      RewardModel model, RewardTrainerConfig config, Map<String, NDArray> trainableParameters) {
    this.model = Objects.requireNonNull(model, "model");
    this.config = Objects.requireNonNull(config, "config");
    Objects.requireNonNull(trainableParameters, "trainableParameters");
    if (trainableParameters.isEmpty()) {
      throw new IllegalArgumentException("trainableParameters is empty; nothing to train");
    }
    for (Map.Entry<String, NDArray> e : trainableParameters.entrySet()) {
      if (e.getValue() == null || !e.getValue().hasGradient()) {
        throw new IllegalArgumentException(
            "trainable parameter '"
                + e.getKey()
                + "' does not require a gradient; call setRequiresGradient(true) on it");
      }
    }
    this.trainable = Collections.unmodifiableMap(new LinkedHashMap<>(trainableParameters));
  }

  /** Adds a metrics listener; returns this. */
  public RewardTrainer addListener(RewardMetricsListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  /** The hyper-parameters. */
  public RewardTrainerConfig config() {
    return config;
  }

  /** The arrays the optimizer updates. */
  public Map<String, NDArray> trainableParameters() {
    return trainable;
  }

  /** Optimizer steps completed by this trainer. */
  public long steps() {
    return steps;
  }

  /**
   * Tokenizes text pairs with the model's tokenizer ({@link RewardModel#encode}; pairs rendered by
   * a chat template with {@link RewardModel#encodeChat}), dropping pairs longer than {@link
   * RewardTrainerConfig#maxLength}.
   */
  public PreferenceData.Tokenized tokenize(List<PreferencePair> pairs) {
    return PreferenceData.tokenize(pairs, model::encode, model::encodeChat, config.maxLength());
  }

  /**
   * Held-out metrics of a set of pairs.
   *
   * @param pairs number of pairs scored
   * @param loss the pairwise loss (with margins and centring term)
   * @param accuracy fraction of pairs with r_c &gt; r_r
   * @param margin mean r_c − r_r
   * @param meanChosen mean r_c
   * @param meanRejected mean r_r
   */
  public record Evaluation(
      int pairs,
      double loss,
      double accuracy,
      double margin,
      double meanChosen,
      double meanRejected) {}

  /**
   * The outcome of {@link #train}.
   *
   * @param steps optimizer steps taken in this call
   * @param lastLoss training loss of the last step
   * @param eval held-out metrics after the last epoch, or null without held-out pairs
   */
  public record Result(long steps, double lastLoss, Evaluation eval) {}

  /**
   * Trains for {@link RewardTrainerConfig#epochs} epochs.
   *
   * @param train training pairs, non-empty
   * @param eval held-out pairs evaluated after each epoch, possibly empty
   * @throws DivergenceException if the loss or gradient norm becomes NaN or infinite (before the
   *     optimizer step)
   */
  public Result train(List<TokenizedPair> train, List<TokenizedPair> eval) {
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(eval, "eval (use List.of() for none)");
    if (train.isEmpty()) {
      throw new IllegalArgumentException("no training pairs");
    }
    int n = train.size();
    int bs = config.batchSize();
    int stepsPerEpoch = (n + bs - 1) / bs;
    long total = (long) stepsPerEpoch * config.epochs();
    Warmup warmup = Warmup.ofRatio(config.warmupRatio());
    LrSchedule schedule = config.schedule().schedule(config.learningRate(), warmup, total);
    long start = steps;
    double lastLoss = Double.NaN;
    Evaluation lastEval = null;
    try (Optimizer optimizer = new AdamW(config.optimizer(), schedule)) {
      for (int epoch = 0; epoch < config.epochs(); epoch++) {
        int[] order = Seeds.permutation(n, Seeds.rng(config.seed(), epoch, Seeds.DATA_ORDER));
        for (int k = 0; k < stepsPerEpoch; k++) {
          List<TokenizedPair> batch = new ArrayList<>(bs);
          for (int i = k * bs; i < Math.min(n, (k + 1) * bs); i++) {
            batch.add(train.get(order[i]));
          }
          Map<String, Double> m = step(optimizer, batch);
          m.put("train/epoch", epoch + (k + 1) / (double) stepsPerEpoch);
          lastLoss = m.get("train/loss");
          emit(m);
        }
        if (!eval.isEmpty()) {
          lastEval = evaluate(eval);
          Map<String, Double> m = new LinkedHashMap<>();
          m.put("eval/loss", lastEval.loss());
          m.put("eval/accuracy", lastEval.accuracy());
          m.put("eval/margin", lastEval.margin());
          m.put("eval/rewards/chosen", lastEval.meanChosen());
          m.put("eval/rewards/rejected", lastEval.meanRejected());
          m.put("eval/epoch", (double) epoch + 1);
          emit(m);
        }
      }
    }
    return new Result(steps - start, lastLoss, lastEval);
  }

  private void emit(Map<String, Double> metrics) {
    Map<String, Double> view = Collections.unmodifiableMap(metrics);
    for (RewardMetricsListener l : listeners) {
      l.onMetrics(steps, view);
    }
  }

  /** One optimizer step on {@code batch}; returns its train/* metrics. */
  private Map<String, Double> step(Optimizer optimizer, List<TokenizedPair> batch) {
    int nb = batch.size();
    List<long[]> sequences = new ArrayList<>(2 * nb);
    float[] margins = new float[nb];
    boolean anyMargin = false;
    for (TokenizedPair p : batch) {
      sequences.add(p.chosenIds());
    }
    for (int i = 0; i < nb; i++) {
      sequences.add(batch.get(i).rejectedIds());
      margins[i] = batch.get(i).margin();
      anyMargin |= margins[i] != 0;
    }
    Map<String, Double> m = new LinkedHashMap<>();
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      Batch b = Batch.rightPadded(model.manager(), sequences, model.padId(), model.vocab());
      NDArray marginArr = anyMargin ? model.manager().create(margins) : null; // (B)
      NDList out =
          model
              .backbone()
              .backward(
                  b.ids(),
                  b.mask(),
                  true,
                  config.gradientCheckpointing(),
                  hidden -> { // (2B, T, D)
                    NDArray r = model.scores(hidden, b.ids(), b.mask()); // (2B)
                    NDArray rChosen = r.get(new NDIndex("0:{}", nb)); // (B)
                    NDArray rRejected = r.get(new NDIndex("{}:", nb)); // (B)
                    return new NDList(
                        PairwiseLoss.loss(
                            rChosen, rRejected, marginArr, config.centerRewardsCoefficient()),
                        r);
                  });
      float loss = out.get(0).getFloat();
      float[] rewards = out.get(1).toFloatArray();
      try {
        DivergenceException.checkFinite("reward-model loss at step " + (steps + 1), loss, HINT);
      } catch (DivergenceException e) {
        optimizer.zeroGrad(trainable);
        throw e;
      }
      float[] chosen = new float[nb];
      float[] rejected = new float[nb];
      System.arraycopy(rewards, 0, chosen, 0, nb);
      System.arraycopy(rewards, nb, rejected, 0, nb);
      m.put("train/loss", (double) loss);
      m.put("train/accuracy", PairwiseLoss.accuracy(chosen, rejected));
      m.put("train/margin", mean(chosen) - mean(rejected));
      m.put("train/rewards/chosen", mean(chosen));
      m.put("train/rewards/rejected", mean(rejected));
      if (config.maxGradNorm() > 0) {
        double norm = GradClip.clipGlobalNorm(trainable, config.maxGradNorm());
        if (!Double.isFinite(norm)) {
          optimizer.zeroGrad(trainable);
          DivergenceException.checkFinite(
              "reward-model gradient norm at step " + (steps + 1), norm, HINT);
        }
        m.put("train/grad_norm", norm);
      }
      m.put("train/learning_rate", optimizer.learningRate());
      optimizer.step(trainable);
    }
    steps++;
    return m;
  }

  /** Scores every pair (no autograd graph) and returns the held-out metrics. */
  public Evaluation evaluate(List<TokenizedPair> pairs) {
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException("no pairs to evaluate");
    }
    int n = pairs.size();
    float[] chosen = new float[n];
    float[] rejected = new float[n];
    float[] margins = new float[n];
    int eb = config.evalBatchSize();
    for (int from = 0; from < n; from += eb) {
      int to = Math.min(n, from + eb);
      List<long[]> sequences = new ArrayList<>(2 * (to - from));
      for (int i = from; i < to; i++) {
        sequences.add(pairs.get(i).chosenIds());
      }
      for (int i = from; i < to; i++) {
        sequences.add(pairs.get(i).rejectedIds());
        margins[i] = pairs.get(i).margin();
      }
      float[] s = model.scoreIds(sequences, sequences.size());
      System.arraycopy(s, 0, chosen, from, to - from);
      System.arraycopy(s, to - from, rejected, from, to - from);
    }
    return new Evaluation(
        n,
        PairwiseLoss.loss(chosen, rejected, margins, config.centerRewardsCoefficient()),
        PairwiseLoss.accuracy(chosen, rejected),
        mean(chosen) - mean(rejected),
        mean(chosen),
        mean(rejected));
  }

  private static double mean(float[] v) {
    double s = 0;
    for (float x : v) {
      s += x;
    }
    return s / v.length;
  }
}
