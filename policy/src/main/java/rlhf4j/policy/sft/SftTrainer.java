package rlhf4j.policy.sft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.PositionKind;
import rlhf4j.policy.optim.AdamW;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.policy.optim.GradClip;
import rlhf4j.policy.optim.LrSchedule;
import rlhf4j.policy.optim.Warmup;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.policy.train.Seeds;

/**
 * Supervised fine-tuning of a {@link CausalLM} with next-token cross-entropy ({@link SftLoss}) and
 * AdamW, as TRL's {@code SFTTrainer}:
 *
 * <pre>{@code
 * SftSummary s = new SftTrainer(model, SftConfig.builder().learningRate(1e-3).build())
 *     .train(SftExample.fromTexts(tokenizer, texts), listener);
 * }</pre>
 *
 * <p>Each step: 1 collate a batch (right padding, or packed rows), 2 forward and weighted
 * cross-entropy, backpropagated by {@link CausalLM#backward} (recomputing each block with {@link
 * SftConfig#gradientCheckpointing()}; a quantised frozen base keeps no float32 weight copy in the
 * graph), 3 clip the global gradient norm, 4 AdamW step. Epoch e visits the rows in the permutation
 * drawn from {@code Seeds.rng(seed, e, Seeds.DATA_ORDER)} (the one seed scheme of every trainer),
 * so a run is deterministic for a fixed seed. A NaN or infinite loss or gradient norm raises {@link
 * DivergenceException} before the optimizer step, so the weights stay those of the last good step.
 * Every step runs in its own {@code NDScope}; only the optimizer state (kept in the parameters'
 * managers) outlives it, and it is freed when {@code train} returns.
 *
 * <p>Trainable arrays come from the caller; the default is every base parameter (full fine-tuning).
 * The trainer sets {@code requiresGradient} on them and clears it on the base parameters that are
 * not among them, and leaves them so. Not thread-safe; one run at a time per JVM (DJL allows one
 * {@code GradientCollector}).
 */
public final class SftTrainer {
  private static final String HINT =
      "the weights are those of the last good step; lower learningRate or keep maxGradNorm > 0";
  private final CausalLM model;
  private final SftConfig config;

  /** A trainer for {@code model} with {@code config}. */
  public SftTrainer(CausalLM model, SftConfig config) {
    this.model = Objects.requireNonNull(model, "model");
    this.config = Objects.requireNonNull(config, "config");
  }

  /** The hyper-parameters. */
  public SftConfig config() {
    return config;
  }

  /**
   * Optimizer steps a run over {@code examples} takes (after truncation or packing), for progress
   * reporting.
   */
  public long totalSteps(List<SftExample> examples) {
    return config.totalSteps(rows(examples).size());
  }

  /** Full fine-tuning of every base parameter, without a listener. */
  public SftSummary train(List<SftExample> examples) {
    return train(examples, model.parameters(), SftListener.none());
  }

  /** Full fine-tuning of every base parameter. */
  public SftSummary train(List<SftExample> examples, SftListener listener) {
    return train(examples, model.parameters(), listener);
  }

  /**
   * Full fine-tuning on texts: each becomes {@code tokenizer.encode(text)} plus EOS ({@link
   * SftExample#fromText}).
   */
  public SftSummary trainTexts(List<String> texts, Tokenizer tokenizer, SftListener listener) {
    return train(SftExample.fromTexts(tokenizer, texts), listener);
  }

  /**
   * Trains the arrays in {@code trainable} (base parameters, adapter weights, or any mix) and
   * nothing else.
   *
   * @param examples the training set, at least one
   * @param trainable name → leaf array updated in place; the same map on every call of a run
   * @param listener progress every {@link SftConfig#logEvery()} steps and after the last
   * @throws IllegalArgumentException for an empty set, an example without a target token within
   *     {@code maxLength}, a token id outside the vocabulary, or a row longer than a GPT-2 model's
   *     learned positions
   * @throws DivergenceException if the loss or gradient norm becomes NaN or infinite (raised before
   *     the optimizer step)
   */
  public SftSummary train(
      List<SftExample> examples, Map<String, NDArray> trainable, SftListener listener) {
    Objects.requireNonNull(examples, "examples");
    Objects.requireNonNull(trainable, "trainable");
    Objects.requireNonNull(listener, "listener");
    if (trainable.isEmpty()) {
      throw new IllegalArgumentException("trainable is empty; pass the arrays to train");
    }
    List<SftBatch.Row> rows = rows(examples);
    prepareGradients(trainable);

    long totalSteps = config.totalSteps(rows.size());
    LrSchedule schedule = schedule(totalSteps);
    List<SftBatch.Row> order = new ArrayList<>(rows);
    int batchesPerEpoch = config.batchesPerEpoch(rows.size());

    long start = System.nanoTime();
    long windowStart = start;
    double windowLoss = 0;
    int windowSteps = 0;
    long windowTokens = 0;
    long tokens = 0;
    double firstLoss = Double.NaN;
    double lastLoss = Double.NaN;
    int epochs = 0;
    try (NDManager inputs = model.manager().newSubManager();
        AdamW optimizer =
            new AdamW(
                AdamWConfig.builder().optWeightDecay(config.weightDecay()).build(), schedule)) {
      optimizer.zeroGrad(trainable); // gradients left over from earlier use
      for (long step = 0; step < totalSteps; step++) {
        int batchIndex = (int) (step % batchesPerEpoch);
        if (batchIndex == 0) {
          order = epochOrder(rows, epochs);
          epochs++;
        }
        int from = batchIndex * config.batchSize();
        SftBatch batch =
            SftBatch.pad(order.subList(from, Math.min(from + config.batchSize(), order.size())));
        double lr = optimizer.learningRate();
        double loss = step(batch, trainable, optimizer, inputs, step + 1);
        if (step == 0) {
          firstLoss = loss;
        }
        lastLoss = loss;
        tokens += batch.tokens();
        windowTokens += batch.tokens();
        windowLoss += loss;
        windowSteps++;
        if ((step + 1) % config.logEvery() == 0 || step + 1 == totalSteps) {
          long now = System.nanoTime();
          double seconds = Math.max(1e-9, (now - windowStart) / 1e9);
          listener.onStep(step + 1, windowLoss / windowSteps, lr, windowTokens / seconds);
          windowStart = now;
          windowLoss = 0;
          windowSteps = 0;
          windowTokens = 0;
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new SftSummary(totalSteps, epochs, firstLoss, lastLoss, tokens, seconds);
  }

  /**
   * The rows of epoch {@code epoch} (0-based) in their training order: a permutation drawn from
   * {@code Seeds.rng(seed, epoch, DATA_ORDER)}, so any epoch's order follows from the seed alone.
   */
  private List<SftBatch.Row> epochOrder(List<SftBatch.Row> rows, int epoch) {
    int[] p = Seeds.permutation(rows.size(), Seeds.rng(config.seed(), epoch, Seeds.DATA_ORDER));
    List<SftBatch.Row> order = new ArrayList<>(rows.size());
    for (int i : p) {
      order.add(rows.get(i));
    }
    return order;
  }

  /**
   * One optimizer step on {@code batch}; returns its loss (before the update).
   *
   * @throws DivergenceException before the optimizer step (the weights are unchanged and the
   *     gradients cleared) when the loss or the gradient norm is NaN or infinite
   */
  private double step(
      SftBatch batch,
      Map<String, NDArray> trainable,
      AdamW optimizer,
      NDManager inputs,
      long stepNumber) {
    int b = batch.rows();
    int t = batch.length();
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray ids = inputs.create(batch.ids(), new Shape(b, t)); // (B, T)
      NDArray mask = inputs.create(batch.attentionMask(), new Shape(b, t)); // (B, T)
      NDArray weights = inputs.create(batch.weights(), new Shape(b, t - 1)); // (B, T-1)
      NDList out =
          model.backward(
              ids,
              mask,
              true,
              config.gradientCheckpointing(),
              hidden -> { // (B, T, D)
                NDArray logits = model.logits(hidden, true); // (B, T, V)
                return new NDList(SftLoss.crossEntropy(logits, ids, weights)); // ()
              });
      double loss = out.get(0).getFloat();
      try {
        DivergenceException.checkFinite("SFT loss at step " + stepNumber, loss, HINT);
        if (config.maxGradNorm() > 0) {
          double norm = GradClip.clipGlobalNorm(trainable, config.maxGradNorm());
          DivergenceException.checkFinite("SFT gradient norm at step " + stepNumber, norm, HINT);
        }
      } catch (DivergenceException e) {
        optimizer.zeroGrad(trainable);
        throw e;
      }
      optimizer.step(trainable);
      return loss;
    }
  }

  /** Rows ready for batching, after truncation or packing, checked against the model. */
  private List<SftBatch.Row> rows(List<SftExample> examples) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("examples is empty; give at least one training example");
    }
    int vocab = model.config().vocabSize();
    List<SftBatch.Row> rows = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      SftExample e = Objects.requireNonNull(examples.get(i), "example " + i);
      long[] ids = e.ids();
      for (long id : ids) {
        if (id < 0 || id >= vocab) {
          throw new IllegalArgumentException(
              "example "
                  + i
                  + " has token id "
                  + id
                  + " outside the vocabulary [0, "
                  + vocab
                  + ")");
        }
      }
      SftBatch.Row row =
          SftBatch.row(e, config.completionOnlyLoss(), config.packing() ? 0 : config.maxLength());
      if (!config.packing() && !(row.targetWeight() > 0)) {
        throw new IllegalArgumentException(
            "example "
                + i
                + " has no target token within maxLength "
                + config.maxLength()
                + " (prompt "
                + e.prompt().length
                + ", completion "
                + e.completion().length
                + " tokens); drop it, shorten its prompt or raise maxLength");
      }
      rows.add(row);
    }
    if (config.packing()) {
      List<SftBatch.Row> packed = new ArrayList<>();
      for (SftBatch.Row r : SftBatch.pack(rows, config.maxLength())) {
        if (r.targetWeight() > 0) {
          packed.add(r);
        }
      }
      if (packed.isEmpty()) {
        throw new IllegalArgumentException(
            "packing left no target tokens; the examples have only prompt tokens");
      }
      rows = packed;
    }
    int longest = 0;
    for (SftBatch.Row r : rows) {
      longest = Math.max(longest, r.length());
    }
    if (model.config().positionKind() == PositionKind.LEARNED
        && longest > model.config().maxPositions()) {
      throw new IllegalArgumentException(
          "rows of "
              + longest
              + " tokens exceed the model's "
              + model.config().maxPositions()
              + " learned positions; set maxLength <= "
              + model.config().maxPositions());
    }
    return rows;
  }

  /** Requires gradients on {@code trainable}; freezes base parameters not in it. */
  private void prepareGradients(Map<String, NDArray> trainable) {
    Set<NDArray> train = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
      if (e.getValue() == null) {
        throw new IllegalArgumentException("trainable array '" + e.getKey() + "' is null");
      }
      train.add(e.getValue());
    }
    for (NDArray p : model.parameters().values()) {
      if (!train.contains(p) && p.hasGradient()) {
        p.setRequiresGradient(false);
      }
    }
    for (NDArray p : train) {
      if (!p.hasGradient()) {
        p.setRequiresGradient(true);
      }
    }
  }

  private LrSchedule schedule(long totalSteps) {
    Warmup warmup = Warmup.ofRatio(config.warmupRatio());
    return config.scheduler().schedule(config.learningRate(), warmup, totalSteps);
  }
}
