package rlhf4j.ppo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.model.Scalars;
import rlhf4j.policy.model.TokenLogProbs;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.optim.AdamW;
import rlhf4j.policy.optim.AdamWConfig;
import rlhf4j.policy.optim.GradClip;
import rlhf4j.policy.optim.LrSchedule;
import rlhf4j.policy.optim.Optimizer;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.ppo.math.Entropy;
import rlhf4j.ppo.math.Gae;
import rlhf4j.ppo.math.KlPenalty;
import rlhf4j.ppo.math.Masked;
import rlhf4j.ppo.math.PpoLoss;
import rlhf4j.ppo.math.PpoStats;
import rlhf4j.ppo.math.Rewards;
import rlhf4j.reference.ReferenceModel;
import rlhf4j.reward.GuardedReward;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.norm.RunningMoments;
import rlhf4j.reward.norm.ScoreTransform;
import rlhf4j.reward.norm.ScoreTransformConfig;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Generator;
import rlhf4j.rollout.Rollout;

/**
 * PPO for language models in the manner of TRL's classic {@code PPOTrainer}: per-token KL penalty
 * against a reference policy, GAE, clipped policy and value losses, updates of the trainable
 * parameters only (LoRA adapters and the value head, or whatever the caller marks trainable).
 *
 * <p>Two ways in: {@link #step} for callers who generate and score themselves (TRL's {@code
 * step(queries, responses, scores)}), and {@link #train} for the whole loop.
 *
 * <p>Randomness is derived from {@code config.seed()} and the step number (prompt order, sampling,
 * minibatch permutations, adapter dropout), so a run resumed from a checkpoint continues exactly
 * like an uninterrupted one.
 */
public final class PpoTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(PpoTrainer.class);

  private final CausalLM model;
  private final Map<String, NDArray> trainable;
  private final ValueHead valueHead;
  private final ReferenceModel reference;
  private final PpoConfig config;
  private final Optimizer optimizer;
  private final KlController klController;
  private ScoreTransform scoreTransform; // null without score scaling; replaced on restore
  private final List<StatsListener> listeners;
  private final GenerationConfig generation;
  private final Tokenizer tokenizer;
  private final long padId;
  private final boolean gradientCheckpointing;
  private long step;

  private PpoTrainer(Builder b) {
    this.model = Objects.requireNonNull(b.model, "model");
    this.valueHead = Objects.requireNonNull(b.valueHead, "valueHead");
    this.reference = Objects.requireNonNull(b.reference, "reference");
    this.config = Objects.requireNonNull(b.config, "config");
    if (b.trainable == null || b.trainable.isEmpty()) {
      throw new IllegalArgumentException(
          "no trainable parameters: pass the LoRA adapters' trainableParameters() (or a"
              + " Finetuning strategy's)");
    }
    Map<String, NDArray> t = new LinkedHashMap<>(b.trainable);
    valueHead.setTrainable(true);
    for (Map.Entry<String, NDArray> e : valueHead.parameters().entrySet()) {
      if (t.put(e.getKey(), e.getValue()) != null) {
        throw new IllegalArgumentException("trainable parameter name clash: " + e.getKey());
      }
    }
    this.trainable = java.util.Collections.unmodifiableMap(t);
    this.optimizer =
        b.optimizer != null
            ? b.optimizer
            // TRL classic: torch.optim.Adam(lr), no weight decay
            : new AdamW(AdamWConfig.adam(), LrSchedule.constant(config.learningRate()));
    this.klController = KlController.of(config);
    this.scoreTransform = scoreTransform(config);
    this.listeners = List.copyOf(b.listeners);
    this.generation = b.generation;
    this.tokenizer = b.tokenizer;
    this.padId = b.padId >= 0 ? b.padId : Math.max(0, model.config().eosTokenId());
    this.gradientCheckpointing = b.gradientCheckpointing;
    if (generation != null) {
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

  private static ScoreTransform scoreTransform(PpoConfig c) {
    if (!c.useScoreScaling() && c.scoreClip().isEmpty()) {
      return null;
    }
    ScoreTransformConfig.Builder b =
        ScoreTransformConfig.builder()
            .mode(
                !c.useScoreScaling()
                    ? ScoreTransformConfig.Mode.NONE
                    : c.useScoreNorm()
                        ? ScoreTransformConfig.Mode.NORM
                        : ScoreTransformConfig.Mode.SCALE);
    c.scoreClip().ifPresent(b::scoreClip);
    return new ScoreTransform(b.build());
  }

  public static Builder builder() {
    return new Builder();
  }

  // ------------------------------------------------------------------ the full loop

  /**
   * Runs PPO steps until {@link #stepCount()} reaches {@code totalSteps}: each step takes the next
   * {@code batchSize} prompts (reshuffled every pass, seeded), generates, scores and calls {@link
   * #step}.
   *
   * @param prompts token-id prompts
   * @param reward scores (prompt, response) pairs; guarded against NaN, wrong counts and errors
   * @param totalSteps the step count to stop at (a resumed trainer continues from its step)
   * @param afterStep called after each step (e.g. to checkpoint); may be null
   */
  public void train(
      List<long[]> prompts, RewardFunction reward, long totalSteps, StepCallback afterStep) {
    if (generation == null) {
      throw new IllegalStateException("train needs a GenerationConfig (Builder.generation)");
    }
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("no prompts");
    }
    RewardFunction guarded = GuardedReward.of(reward);
    while (step < totalSteps) {
      List<long[]> batch = promptsFor(step, prompts);
      long t0 = System.nanoTime();
      Generator generator =
          new Generator(
              model,
              generation.toBuilder()
                  .sampling(
                      generation.sampling().toBuilder().seed(mix(config.seed(), step, 1)).build())
                  .build(),
              valueHead,
              tokenizer,
              List.of());
      Rollout rollout = generator.generate(batch);
      double genSeconds = (System.nanoTime() - t0) / 1e9;
      List<RewardFunction.Sample> samples = new ArrayList<>();
      for (int i = 0; i < rollout.size(); i++) {
        String promptText =
            tokenizer == null ? "" : tokenizer.decode(rollout.queries().get(i), true);
        String responseText = rollout.texts() == null ? "" : rollout.texts().get(i);
        samples.add(
            new RewardFunction.Sample(
                promptText, responseText, rollout.queries().get(i), rollout.responses().get(i)));
      }
      long t1 = System.nanoTime();
      float[] scores = guarded.score(samples);
      double rewardSeconds = (System.nanoTime() - t1) / 1e9;
      Map<String, Double> extra = new LinkedHashMap<>();
      extra.put("time/ppo/rollout", genSeconds);
      extra.put("time/ppo/reward", rewardSeconds);
      extra.put("tokens/rollout_per_s", rollout.responseTokens() / genSeconds);
      Map<String, Double> stats =
          step(rollout.queries(), rollout.responses(), scores, extra, rollout);
      if (afterStep != null) {
        afterStep.afterStep(this, rollout, stats);
      }
    }
  }

  /** Called after each step of {@link #train}. */
  @FunctionalInterface
  public interface StepCallback {
    void afterStep(PpoTrainer trainer, Rollout rollout, Map<String, Double> stats);
  }

  /** The prompts of step {@code s}: passes over a seeded permutation per pass. */
  List<long[]> promptsFor(long s, List<long[]> prompts) {
    int n = prompts.size();
    List<long[]> batch = new ArrayList<>();
    int[] perm = null;
    long permEpoch = -1;
    for (int i = 0; i < config.batchSize(); i++) {
      long g = s * config.batchSize() + i;
      long epoch = g / n;
      if (epoch != permEpoch) {
        perm = permutation(n, new SplittableRandom(mix(config.seed(), epoch, 2)));
        permEpoch = epoch;
      }
      batch.add(prompts.get(perm[(int) (g % n)]));
    }
    return batch;
  }

  // ------------------------------------------------------------------ one step (TRL API)

  /** TRL's {@code step(queries, responses, scores)}: one PPO update on given rollouts. */
  public Map<String, Double> step(List<long[]> queries, List<long[]> responses, float[] scores) {
    return step(queries, responses, scores, Map.of(), null);
  }

  /**
   * One PPO step. With {@code rollout} (from {@link #train}: no adapter dropout while sampling,
   * log-probs under the training temperature, values from this value head), its recorded log-probs
   * and values are the old policy's, equal to a recomputation within float rounding (tested to
   * 1e-5), so phase 3 runs only the reference pass. Without it (TRL's step API, or the "full" KL
   * penalty, which needs whole distributions) both passes run.
   */
  private Map<String, Double> step(
      List<long[]> queries,
      List<long[]> responses,
      float[] rawScores,
      Map<String, Double> extra,
      Rollout rollout) {
    int b = config.batchSize();
    if (queries.size() != b || responses.size() != b || rawScores.length != b) {
      throw new IllegalArgumentException(
          "step needs batchSize = "
              + b
              + " queries, responses and scores, got "
              + queries.size()
              + ", "
              + responses.size()
              + " and "
              + rawScores.length);
    }
    for (int i = 0; i < b; i++) {
      if (!Float.isFinite(rawScores[i])) {
        throw new TrainingDivergedException(
            "score "
                + i
                + " is "
                + rawScores[i]
                + "; fix the reward function (the last"
                + " checkpoint is intact)");
      }
      if (responses.get(i).length == 0) {
        throw new IllegalArgumentException("response " + i + " is empty; PPO needs >= 1 token");
      }
      if (queries.get(i).length == 0) {
        throw new IllegalArgumentException("query " + i + " is empty");
      }
    }
    long tStart = System.nanoTime();
    Engine.getInstance().setRandomSeed((int) mix(config.seed(), step, 3)); // adapter dropout
    float[] scores = scoreTransform == null ? rawScores.clone() : scoreTransform.apply(rawScores);
    Map<String, Double> stats = new LinkedHashMap<>();
    try (NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope()) {
      PpoBatch batch = PpoBatch.of(m, queries, responses, padId);
      NDArray mask = batch.mask(); // (B, T)
      double temperature = config.temperature();
      boolean full = config.klPenalty() == KlPenalty.FULL;

      // 3. rollout log-probs and values, then reference log-probs (adapters off), no gradients
      long t0 = System.nanoTime();
      NDList oldLogProbsParts = new NDList();
      NDList valuesParts = new NDList();
      NDList refParts = new NDList();
      NDList fullParts = new NDList();
      NDList fullRefParts = new NDList();
      double refSeconds = 0;
      boolean reuse = rollout != null && !full && rollout.values() != null;
      if (reuse) {
        long width = batch.responses().getShape().get(1);
        oldLogProbsParts.add(padded(m, rollout.logProbs(), width)); // (B, T)
        valuesParts.add(padded(m, rollout.values(), width)); // (B, T)
      }
      try (NoGrad ng = NoGrad.enter()) {
        for (int start = 0; start < b; start += config.miniBatchSize()) {
          NDIndex rows = new NDIndex("{}:{}", start, Math.min(b, start + config.miniBatchSize()));
          // a scope per chunk: its logits and activations go; the per-token results stay
          try (NDScope chunk = new NDScope()) {
            NDArray ids = batch.ids().get(rows);
            NDArray attn = batch.attentionMask().get(rows);
            NDArray resp = batch.responses().get(rows);
            CausalLM.Output out = null; // the policy's pass, unless the rollout's results serve
            if (!reuse) {
              out = model.forwardResponse(ids, attn, batch.queryWidth(), false);
              oldLogProbsParts.add(TokenLogProbs.gather(out.logits(), resp, temperature)); // (b, T)
              valuesParts.add(valueHead.forward(out.hidden())); // (b, T)
            }
            long tr = System.nanoTime();
            NDArray refLogits = reference.responseLogits(ids, attn, batch.queryWidth());
            refParts.add(TokenLogProbs.gather(refLogits, resp, temperature));
            refSeconds += (System.nanoTime() - tr) / 1e9;
            if (full) {
              fullParts.add(out.logits().div((float) temperature).logSoftmax(-1));
              fullRefParts.add(refLogits.div((float) temperature).logSoftmax(-1));
            }
            if (reuse) {
              keepLast(m, refParts);
            } else {
              keepLast(m, oldLogProbsParts, valuesParts, refParts, fullParts, fullRefParts);
            }
          }
        }
      }
      NDArray oldLogProbs = NDArrays.concat(oldLogProbsParts, 0); // (B, T)
      NDArray values = NDArrays.concat(valuesParts, 0); // (B, T)
      NDArray refLogProbs = NDArrays.concat(refParts, 0); // (B, T)
      double forwardSeconds = (System.nanoTime() - t0) / 1e9;

      // 4. per-token rewards: -klCoef * KL on every token, the score on the last one
      double klCoef = klController.value();
      NDArray scoreArr = m.create(scores);
      Rewards.Result rewards =
          full
              ? Rewards.compute(
                  scoreArr,
                  NDArrays.concat(fullParts, 0),
                  NDArrays.concat(fullRefParts, 0),
                  mask,
                  klCoef,
                  KlPenalty.FULL)
              : Rewards.compute(
                  scoreArr, oldLogProbs, refLogProbs, mask, klCoef, config.klPenalty());

      // 5. GAE, returns, advantage whitening
      Gae.Result gae =
          Gae.compute(
              values,
              rewards.rewards(),
              mask,
              config.gamma(),
              config.lam(),
              config.whitenRewards());

      // 6. epochs x shuffled minibatches with gradient accumulation
      long t1 = System.nanoTime();
      Map<String, Double> trainStats = optimise(batch, oldLogProbs, gae, mask);
      double updateSeconds = (System.nanoTime() - t1) / 1e9;

      // 7. stats and the adaptive KL update
      stats.putAll(
          PpoStats.step(
              rewards.kls(), oldLogProbs, rewards.nonScoreRewards(), scoreArr, mask, klCoef));
      double rawMean = 0;
      for (float s : rawScores) {
        rawMean += s;
      }
      stats.put("objective/scores", rawMean / b);
      stats.put("objective/logprobs", Masked.scalar(Masked.mean(oldLogProbs, mask)));
      stats.put("objective/ref_logprobs", Masked.scalar(Masked.mean(refLogProbs, mask)));
      trainStats.forEach((k, v) -> stats.put("ppo/" + k, v));
      stats.put(
          "ppo/val/var_explained",
          PpoStats.varExplained(trainStats.get("val/error"), trainStats.get("returns/var")));
      stats.put("ppo/learning_rate", optimizer.learningRate());
      double responseTokens = Masked.scalar(mask.sum());
      stats.put("tokens/responses_len_mean", responseTokens / b);
      stats.put("time/ppo/forward_pass", forwardSeconds - refSeconds);
      stats.put("time/ppo/ref_forward", refSeconds);
      stats.put("time/ppo/optimize_step", updateSeconds);
      double total = (System.nanoTime() - tStart) / 1e9;
      stats.put("time/ppo/total", total);
      stats.put("tokens/trained_per_s", responseTokens * config.ppoEpochs() / updateSeconds);
      stats.putAll(extra);
      stats.putAll(
          MemoryStats.stats(model.parameterBytes(), bytes(trainable), optimizer.stateBytes()));
      klController.update(stats.get("objective/kl"), b);
    }
    step++;
    for (StatsListener l : listeners) {
      l.onStep(step, stats);
    }
    return stats;
  }

  /** Right-pads per-row float vectors with zeros to {@code width} columns. // (B, T) */
  private static NDArray padded(NDManager m, List<float[]> rows, long width) {
    float[] flat = new float[Math.toIntExact(rows.size() * width)];
    for (int i = 0; i < rows.size(); i++) {
      float[] r = rows.get(i);
      System.arraycopy(r, 0, flat, Math.toIntExact(i * width), r.length);
    }
    return m.create(flat, new Shape(rows.size(), width));
  }

  /**
   * Keeps the newest array of each non-empty list alive past the chunk's scope, owned by the step's
   * manager {@code m} (whatever manager the op put it in), so it goes when the step ends.
   */
  private static void keepLast(NDManager m, NDList... lists) {
    for (NDList l : lists) {
      if (!l.isEmpty()) {
        NDArray last = l.get(l.size() - 1);
        NDScope.unregister(last);
        last.attach(m);
      }
    }
  }

  private Map<String, Double> optimise(
      PpoBatch batch, NDArray oldLogProbs, Gae.Result gae, NDArray mask) {
    int b = config.batchSize();
    int mb = config.miniBatchSize();
    int ga = config.gradientAccumulationSteps();
    int backward = mb * ga;
    PpoLoss.Settings settings = config.lossSettings();
    Map<String, Double> sums = new LinkedHashMap<>();
    int count = 0;
    boolean earlyStop = false;
    double firstRatioDeviation = Double.NaN;
    NDManager m = mask.getManager();
    optimizer.zeroGrad(trainable);
    for (int epoch = 0; epoch < config.ppoEpochs() && !earlyStop; epoch++) {
      int[] perm = permutation(b, new SplittableRandom(mix(config.seed(), step * 1000 + epoch, 4)));
      for (int start = 0; start < b && !earlyStop; start += backward) {
        for (int k = 0; k < ga && !earlyStop; k++) {
          int from = start + k * mb;
          long[] rows = new long[mb];
          for (int i = 0; i < mb; i++) {
            rows[i] = perm[from + i];
          }
          Map<String, Double> mbStats;
          double[] firstDev = {Double.NaN};
          final boolean firstMinibatch = Double.isNaN(firstRatioDeviation);
          List<Map<String, Double>> statsOut = new ArrayList<>(1);
          // one scope per mini-batch: its graph and activations are freed before the next one
          try (NDScope mbScope = new NDScope()) {
            NDIndex idx = new NDIndex("{}", m.create(rows));
            NDArray mbMask = mask.get(idx);
            NDArray mbResponses = batch.responses().get(idx);
            final int epochNow = epoch;
            // forward + backward through the model (block by block with gradient checkpointing)
            model.backward(
                batch.ids().get(idx),
                batch.attentionMask().get(idx),
                true,
                gradientCheckpointing,
                hidden -> {
                  CausalLM.Output out = model.responseOutput(hidden, batch.queryWidth(), true);
                  NDArray logits = out.logits(); // (mb, T, V)
                  NDArray logProbs =
                      TokenLogProbs.gather(logits, mbResponses, config.temperature());
                  NDArray vpreds = valueHead.forward(out.hidden()); // (mb, T)
                  NDArray mbValues = gae.values().get(idx); // (mb, T)
                  NDArray mbAdvantages = gae.advantages().get(idx); // (mb, T)
                  NDArray mbReturns = gae.returns().get(idx); // (mb, T)
                  PpoLoss.Result res =
                      PpoLoss.compute(
                          logProbs,
                          oldLogProbs.get(idx),
                          vpreds,
                          mbValues,
                          mbAdvantages,
                          mbReturns,
                          mbMask,
                          settings);
                  double lossValue = Masked.scalar(res.loss());
                  if (!Double.isFinite(lossValue)) {
                    throw new TrainingDivergedException(
                        "PPO loss is "
                            + lossValue
                            + " at step "
                            + (step + 1)
                            + " (epoch "
                            + epochNow
                            + "); lower the learning rate or clip gradients (maxGradNorm). The last"
                            + " checkpoint is intact");
                  }
                  NDArray entropy =
                      Entropy.fromLogits(Scalars.div(logits.stopGradient(), config.temperature()));
                  Map<String, Double> st =
                      PpoStats.minibatch(
                          res, entropy, mbAdvantages, mbReturns, mbValues, vpreds, mbMask);
                  st.put("policy/ratio", res.ratioMean());
                  statsOut.add(st);
                  if (firstMinibatch) {
                    firstDev[0] = Masked.scalar(res.ratio().sub(1).abs().mul(mbMask).max());
                  }
                  return new NDList(ga == 1 ? res.loss() : Scalars.div(res.loss(), ga));
                });
          }
          mbStats = statsOut.get(0);
          if (firstMinibatch) {
            firstRatioDeviation = firstDev[0];
          }
          mbStats.forEach((key, v) -> sums.merge(key, v, Double::sum));
          count++;
          if (config.earlyStopping() && mbStats.get("policy/policykl") > 1.5 * config.targetKl()) {
            earlyStop = true;
          }
        }
        if (config.maxGradNorm().isPresent()) {
          double norm = GradClip.clipGlobalNorm(trainable, config.maxGradNorm().getAsDouble());
          sums.merge("policy/grad_norm", norm, Double::sum);
        }
        optimizer.step(trainable);
      }
    }
    Map<String, Double> means = new LinkedHashMap<>();
    int n = count;
    sums.forEach((k, v) -> means.put(k, k.equals("policy/grad_norm") ? v : v / n));
    means.put("policy/ratio_first_minibatch_max_dev", firstRatioDeviation);
    means.put("early_stopped", earlyStop ? 1.0 : 0.0);
    return means;
  }

  // ------------------------------------------------------------------ state

  /** Completed steps. */
  public long stepCount() {
    return step;
  }

  public PpoConfig config() {
    return config;
  }

  public CausalLM model() {
    return model;
  }

  public ValueHead valueHead() {
    return valueHead;
  }

  /** Trainable parameters (adapters, then the value head) by name. */
  public Map<String, NDArray> trainableParameters() {
    return trainable;
  }

  public Optimizer optimizer() {
    return optimizer;
  }

  public KlController klController() {
    return klController;
  }

  /** Running score moments, or null without score scaling. */
  public RunningMoments scoreMoments() {
    return scoreTransform == null ? null : scoreTransform.moments();
  }

  /** Restores the step counter (checkpoint resume). */
  void restoreStep(long s) {
    if (s < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + s);
    }
    this.step = s;
  }

  /**
   * Replaces the running score moments (checkpoint resume).
   *
   * @throws IllegalStateException if this trainer does not scale scores
   */
  void restoreScoreMoments(RunningMoments.State state) {
    if (scoreTransform == null) {
      throw new IllegalStateException(
          "this trainer does not scale scores (useScoreScaling is false), so it has no score"
              + " moments to restore");
    }
    scoreTransform = new ScoreTransform(scoreTransform.config(), new RunningMoments(state));
  }

  private static long bytes(Map<String, NDArray> params) {
    long n = 0;
    for (NDArray a : params.values()) {
      n += a.size() * a.getDataType().getNumOfBytes();
    }
    return n;
  }

  static int[] permutation(int n, SplittableRandom rng) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** A 64-bit seed from the run seed, a counter and a stream tag (SplitMix64 finaliser). */
  static long mix(long seed, long counter, long stream) {
    long z =
        seed * 0x9E3779B97F4A7C15L + counter * 0xBF58476D1CE4E5B9L + stream * 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Builder: the policy model, its trainable parameters, a value head and a reference. */
  public static final class Builder {
    private CausalLM model;
    private Map<String, NDArray> trainable;
    private ValueHead valueHead;
    private ReferenceModel reference;
    private PpoConfig config = PpoConfig.builder().build();
    private Optimizer optimizer;
    private final List<StatsListener> listeners = new ArrayList<>();
    private GenerationConfig generation;
    private Tokenizer tokenizer;
    private long padId = -1;
    private boolean gradientCheckpointing;

    /**
     * Recompute each transformer block in the backward instead of keeping its activations (less
     * memory, one more forward through the blocks); same gradients up to float rounding.
     */
    public Builder gradientCheckpointing(boolean v) {
      gradientCheckpointing = v;
      return this;
    }

    public Builder model(CausalLM v) {
      model = v;
      return this;
    }

    /** Parameters to train besides the value head (LoRA adapters, or a finetuning strategy's). */
    public Builder trainable(Map<String, NDArray> v) {
      trainable = v;
      return this;
    }

    public Builder valueHead(ValueHead v) {
      valueHead = v;
      return this;
    }

    public Builder reference(ReferenceModel v) {
      reference = v;
      return this;
    }

    public Builder config(PpoConfig v) {
      config = v;
      return this;
    }

    /** Default: Adam (TRL classic) at {@code config.learningRate()}, constant. */
    public Builder optimizer(Optimizer v) {
      optimizer = v;
      return this;
    }

    public Builder listener(StatsListener v) {
      listeners.add(v);
      return this;
    }

    /** Rollout settings for {@link #train}; its temperature must equal the config's. */
    public Builder generation(GenerationConfig v) {
      generation = v;
      return this;
    }

    /** Decodes texts for reward functions (optional). */
    public Builder tokenizer(Tokenizer v) {
      tokenizer = v;
      return this;
    }

    /** Padding id for batches (default: the model's EOS id, masked). */
    public Builder padId(long v) {
      padId = v;
      return this;
    }

    public PpoTrainer build() {
      return new PpoTrainer(this);
    }
  }
}
