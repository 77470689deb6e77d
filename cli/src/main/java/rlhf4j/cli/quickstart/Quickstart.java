package rlhf4j.cli.quickstart;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import rlhf4j.cli.quickstart.SentimentGrammar.Judgement;
import rlhf4j.cli.quickstart.SentimentGrammar.Pair;
import rlhf4j.cli.quickstart.SentimentGrammar.Sample;
import rlhf4j.cli.quickstart.SentimentGrammar.Sentiment;
import rlhf4j.cli.quickstart.SyntheticLabeller.LabelledPair;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.sft.SftConfig;
import rlhf4j.policy.sft.SftExample;
import rlhf4j.policy.sft.SftSummary;
import rlhf4j.policy.sft.SftTrainer;
import rlhf4j.policy.tokenizer.BpeModel;
import rlhf4j.policy.tokenizer.BpeTrainer;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.ppo.JsonlStatsWriter;
import rlhf4j.ppo.PpoConfig;
import rlhf4j.ppo.PpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.builtin.MissingEosPenalty;
import rlhf4j.reward.model.RewardModel;
import rlhf4j.reward.model.RewardTrainer;
import rlhf4j.reward.model.RewardTrainerConfig;
import rlhf4j.reward.model.TokenizedPair;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * The InstructGPT pipeline end to end on an embedded toy task, offline and in minutes on a laptop
 * CPU: a seeded grammar of movie-review sentences stands in for the data and the human labellers.
 *
 * <ol>
 *   <li>corpus: sentences of positive and negative sentiment from {@link SentimentGrammar};
 *   <li>tokenizer: a byte-level BPE trained on the corpus, written as {@code tokenizer.json};
 *   <li>SFT: a tiny GPT-2, trained in full on the corpus;
 *   <li>reward model: the SFT model with a score head, trained on pairs where the positive
 *       completion is preferred;
 *   <li>PPO: LoRA adapters on the SFT model against the reward model, the reference being the same
 *       model with adapters off;
 *   <li>evaluation: fresh prompts, the SFT and the PPO policy judged by the grammar's own sentiment
 *       label, and the KL of the PPO policy to the reference;
 *   <li>report: samples, {@code summary.json}, {@code metrics.jsonl}, charts, the adapter, the
 *       merged model and the tokenizer.
 * </ol>
 *
 * <pre>{@code
 * QuickstartSummary s = new Quickstart(new QuickstartOptions(dir, true, 0, false, 0)).run();
 * }</pre>
 */
public final class Quickstart {
  private static final int EVAL_BATCH = 50;

  /** Special token that leads a positive sentence in part of the SFT corpus. */
  public static final String POSITIVE_TAG = "<|positive|>";

  /** Special token that leads a negative sentence in part of the SFT corpus. */
  public static final String NEGATIVE_TAG = "<|negative|>";

  private final QuickstartOptions options;
  private final QuickstartRecipe recipe;
  private final Reporter reporter;
  private final SentimentGrammar grammar = new SentimentGrammar();
  private final Map<String, Double> phaseSeconds = new LinkedHashMap<>();
  private final Path out;
  private long phaseStart;

  /** A run with the recipe the options select, reporting on stdout/stderr. */
  public Quickstart(QuickstartOptions options) {
    this(options, options.recipe());
  }

  /** A run with an explicit recipe (for tuning), reporting on stdout/stderr. */
  public Quickstart(QuickstartOptions options, QuickstartRecipe recipe) {
    this(options, recipe, Reporter.system(options.quiet()));
  }

  Quickstart(QuickstartOptions options, QuickstartRecipe recipe, Reporter reporter) {
    this.options = Objects.requireNonNull(options, "options");
    this.recipe = Objects.requireNonNull(recipe, "recipe");
    this.reporter = Objects.requireNonNull(reporter, "reporter");
    this.out = options.out();
  }

  /**
   * Runs the seven phases and writes every artefact into {@link QuickstartOptions#out()}.
   *
   * @return the evaluation's headline numbers (also in {@code summary.json})
   * @throws IOException if the output folder cannot be written
   */
  public QuickstartSummary run() throws IOException {
    long start = System.nanoTime();
    Files.createDirectories(out);
    Files.deleteIfExists(out.resolve("metrics.jsonl"));
    Files.deleteIfExists(out.resolve("sft_metrics.jsonl"));
    Files.deleteIfExists(out.resolve("reward_model_metrics.jsonl"));
    if (options.threads() > 0) {
      Engine.getInstance();
      JniUtils.setNumThreads(options.threads());
    }
    Engine.getInstance().setRandomSeed((int) seed(0));
    int threads = JniUtils.getNumThreads();
    reporter.log(
        "rlhf4j quickstart: SFT -> reward model -> PPO (LoRA, reference = adapters off) on a"
            + " synthetic sentiment task%s, seed %d, %d thread%s",
        options.fast() ? " (--fast)" : "", options.seed(), threads, threads == 1 ? "" : "s");

    List<String> corpus = corpus();
    BpeModel bpe = tokenizer(corpus);
    try (Tokenizer tokenizer = Tokenizer.load(out.resolve("tokenizer"));
        CausalLM policy = sft(corpus, tokenizer, bpe);
        RewardModel rewardModel = rewardModel(tokenizer, bpe);
        LoraModel lora = LoraModel.inject(policy, loraConfig(), seed(8));
        NDManager heads = NDManager.newBaseManager();
        ValueHead valueHead =
            ValueHead.create(heads, policy.config().hiddenSize(), true, seed(9))) {
      PpoRun ppo = ppo(lora, valueHead, rewardModel, tokenizer);
      Evaluation eval = evaluate(lora, tokenizer);
      return report(lora, bpe, ppo, eval, start, threads);
    }
  }

  // ------------------------------------------------------------------ 1 corpus

  /**
   * Review sentences, each led by a header token as GPT-2 documents follow {@code <|endoftext|>}: a
   * share of them by a sentiment tag ({@code "<|positive|>the plot was brilliant ."}), the rest by
   * {@code <|endoftext|>}. The tags are what teaches the tiny model what sentiment is, as
   * pretraining does for a real LM; PPO and evaluation prompts start with {@code <|endoftext|>}.
   */
  private List<String> corpus() throws IOException {
    beginPhase();
    Random rng = new Random(seed(1));
    List<String> texts = new ArrayList<>();
    int positive = 0;
    int rated = 0;
    for (int i = 0; i < recipe.corpusSize(); i++) {
      Sample s = grammar.sample(rng);
      boolean withRating = rng.nextDouble() < recipe.ratedFraction();
      texts.add((withRating ? tag(s.sentiment()) : BpeTrainer.END_OF_TEXT) + s.text());
      positive += s.sentiment() == Sentiment.POSITIVE ? 1 : 0;
      rated += withRating ? 1 : 0;
    }
    Files.write(out.resolve("corpus.txt"), texts, StandardCharsets.UTF_8);
    endPhase(
        "corpus",
        "1/7 corpus: %d review sentences, %.0f%% positive, %.0f%% tagged with it, e.g. \"%s\"",
        texts.size(),
        100.0 * positive / texts.size(),
        100.0 * rated / texts.size(),
        texts.get(0));
    return texts;
  }

  /** The special token that leads a tagged sentence. */
  static String tag(Sentiment sentiment) {
    return sentiment == Sentiment.POSITIVE ? POSITIVE_TAG : NEGATIVE_TAG;
  }

  // ------------------------------------------------------------------ 2 tokenizer

  private BpeModel tokenizer(List<String> corpus) throws IOException {
    beginPhase();
    BpeModel bpe =
        BpeTrainer.builder()
            .vocabSize(recipe.vocabSize())
            .specialTokens(BpeTrainer.END_OF_TEXT, BpeTrainer.PAD, POSITIVE_TAG, NEGATIVE_TAG)
            .build()
            .train(corpus);
    bpe.writeTo(out.resolve("tokenizer"));
    int single = 0;
    for (String w : grammar.vocabulary()) {
      single += bpe.encode(" " + w).length == 1 ? 1 : 0;
    }
    endPhase(
        "tokenizer",
        "2/7 tokenizer: byte-level BPE, %d tokens (%d merges), %d/%d grammar words are one token",
        bpe.vocabSize(),
        bpe.numMerges(),
        single,
        grammar.vocabulary().size());
    return bpe;
  }

  // ------------------------------------------------------------------ 3 SFT

  private final List<Double> sftSteps = new ArrayList<>();
  private final List<Double> sftLosses = new ArrayList<>();
  private double sftFinalLoss = Double.NaN;

  /** The SFT policy, trained in full and saved to {@code out/sft}; the caller closes it. */
  private CausalLM sft(List<String> corpus, Tokenizer tokenizer, BpeModel bpe) throws IOException {
    beginPhase();
    ModelConfig config = modelConfig(tokenizer);
    CausalLM model = CausalLM.random(config, seed(2));
    try {
      List<SftExample> examples = SftExample.fromTexts(tokenizer, corpus); // text + EOS
      SftConfig sftConfig = recipe.sft().toBuilder().seed(seed(3)).build();
      long total = sftConfig.totalSteps(examples.size());
      SftSummary summary;
      GcBarrier sftBarrier = new GcBarrier(1); // the listener runs every logEvery steps
      try (ProgressBar bar = reporter.bar("3/7 sft", total);
          JsonlStatsWriter metrics = new JsonlStatsWriter(out.resolve("sft_metrics.jsonl"))) {
        summary =
            new SftTrainer(model, sftConfig)
                .train(
                    examples,
                    (step, loss, lr, tokensPerSecond) -> {
                      sftBarrier.pass();
                      sftSteps.add((double) step);
                      sftLosses.add(loss);
                      Map<String, Double> row = new LinkedHashMap<>();
                      row.put("sft/loss", loss);
                      row.put("sft/learning_rate", lr);
                      row.put("sft/tokens_per_s", tokensPerSecond);
                      metrics.onStep(step, row);
                      bar.update(step, String.format(Locale.ROOT, "loss %.3f", loss));
                      if (reporter.logStep(step, total)) {
                        reporter.log("  sft step %d/%d loss %.3f", step, total, loss);
                      }
                    });
      }
      sftFinalLoss = summary.finalLoss();
      HfCheckpoint.save(model, out.resolve("sft"));
      bpe.writeTo(out.resolve("sft"));
      endPhase(
          "sft",
          "3/7 sft: GPT-2 %d layers x %d wide (%.2fM parameters), %d steps, loss %.2f -> %.2f",
          config.numLayers(),
          config.hiddenSize(),
          model.parameterCount() / 1e6,
          summary.steps(),
          summary.firstLoss(),
          summary.finalLoss());
      return model;
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
  }

  private ModelConfig modelConfig(Tokenizer tokenizer) {
    int eos = tokenizer.eosId();
    int pad = tokenizer.padId();
    int d = recipe.hiddenSize();
    return Presets.gpt2(
            tokenizer.vocabSize(), d, recipe.numLayers(), recipe.numHeads(), recipe.maxPositions())
        .toBuilder()
        .bosTokenId(eos)
        .eosTokenId(eos)
        .padTokenId(pad)
        .build();
  }

  // ------------------------------------------------------------------ 4 reward model

  private final List<Double> rewardSteps = new ArrayList<>();
  private final List<Double> rewardLosses = new ArrayList<>();
  private double rewardAccuracy = Double.NaN;
  private final Map<String, Double> rewardAccuracyByKind = new LinkedHashMap<>();

  /** The reward model: a copy of the SFT model plus a score head, trained on preference pairs. */
  private RewardModel rewardModel(Tokenizer tokenizer, BpeModel bpe) throws IOException {
    beginPhase();
    SyntheticLabeller labeller = new SyntheticLabeller(grammar);
    List<TokenizedPair> train = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (LabelledPair lp : labeller.pairs(recipe.rewardTrainPairs(), new Random(seed(4)))) {
      Pair p = lp.pair();
      seen.add(p.prompt() + p.chosen());
      seen.add(p.prompt() + p.rejected());
      train.add(tokenize(tokenizer, p));
    }
    // held out: pairs with neither sentence seen in training, by kind
    Map<SyntheticLabeller.Kind, List<TokenizedPair>> heldOutByKind = new LinkedHashMap<>();
    List<TokenizedPair> heldOut = new ArrayList<>();
    Random evalRng = new Random(seed(5));
    for (int tries = 0; heldOut.size() < recipe.rewardEvalPairs() && tries < 100; tries++) {
      for (LabelledPair lp : labeller.pairs(recipe.rewardEvalPairs(), evalRng)) {
        Pair p = lp.pair();
        if (heldOut.size() < recipe.rewardEvalPairs()
            && !seen.contains(p.prompt() + p.chosen())
            && !seen.contains(p.prompt() + p.rejected())) {
          TokenizedPair t = tokenize(tokenizer, p);
          heldOut.add(t);
          heldOutByKind.computeIfAbsent(lp.kind(), k -> new ArrayList<>()).add(t);
        }
      }
    }
    RewardModel model =
        RewardModel.fromBackbone(HfCheckpoint.load(out.resolve("sft")), seed(6))
            .optScoreBatchSize(64);
    try {
      RewardTrainerConfig config = recipe.reward().toBuilder().optSeed(seed(7)).build();
      long total =
          (long) config.epochs() * ((train.size() + config.batchSize() - 1) / config.batchSize());
      RewardTrainer.Result result;
      RewardTrainer trainer;
      try (ProgressBar bar = reporter.bar("4/7 reward", total);
          JsonlStatsWriter metrics =
              new JsonlStatsWriter(out.resolve("reward_model_metrics.jsonl"))) {
        trainer = new RewardTrainer(model, config);
        GcBarrier barrier = new GcBarrier(4);
        trainer.addListener(
            (step, m) -> {
              barrier.pass();
              metrics.onStep(step, m);
              Double loss = m.get("train/loss");
              if (loss == null) {
                return;
              }
              rewardSteps.add((double) step);
              rewardLosses.add(loss);
              bar.update(
                  step,
                  String.format(Locale.ROOT, "loss %.3f acc %.2f", loss, m.get("train/accuracy")));
              if (reporter.logStep(step, total)) {
                reporter.log(
                    "  reward step %d/%d loss %.3f accuracy %.2f",
                    step, total, loss, m.get("train/accuracy"));
              }
            });
        result = trainer.train(train, heldOut);
      }
      rewardAccuracy = result.eval().accuracy();
      for (Map.Entry<SyntheticLabeller.Kind, List<TokenizedPair>> e : heldOutByKind.entrySet()) {
        rewardAccuracyByKind.put(
            e.getKey().name().toLowerCase(Locale.ROOT), trainer.evaluate(e.getValue()).accuracy());
      }
      model.save(out.resolve("reward_model"));
      bpe.writeTo(out.resolve("reward_model"));
      endPhase(
          "reward_model",
          "4/7 reward model: %d pairs (positive > negative, sentence > broken sentence),"
              + " held-out accuracy %.3f on %d unseen pairs %s",
          train.size(),
          rewardAccuracy,
          heldOut.size(),
          rewardAccuracyByKind);
      return model;
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** BOS, prompt, completion, EOS: as the policy's rollouts are scored. */
  private static TokenizedPair tokenize(Tokenizer tokenizer, Pair p) {
    long[] prompt = promptIds(tokenizer, p.prompt());
    return TokenizedPair.of(
        concat(prompt, tokenizer.encodePlain(p.chosen()), tokenizer.eosId()),
        concat(prompt, tokenizer.encodePlain(p.rejected()), tokenizer.eosId()));
  }

  /** A prompt as the policy sees it: BOS ({@code <|endoftext|>}), then the text. */
  static long[] promptIds(Tokenizer tokenizer, String text) {
    long[] ids = tokenizer.encode(text);
    long[] r = new long[ids.length + 1];
    r[0] = tokenizer.bosId();
    System.arraycopy(ids, 0, r, 1, ids.length);
    return r;
  }

  private static long[] concat(long[] a, long[] b, long last) {
    long[] r = new long[a.length + b.length + 1];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    r[r.length - 1] = last;
    return r;
  }

  // ------------------------------------------------------------------ 5 PPO

  /** Per-step curves of the PPO run. */
  private record PpoRun(
      List<Double> steps,
      List<Double> scores,
      List<Double> kls,
      List<Double> policyLoss,
      List<Double> valueLoss,
      List<Double> judgedPositive) {}

  private PpoRun ppo(
      LoraModel lora, ValueHead valueHead, RewardModel rewardModel, Tokenizer tokenizer)
      throws IOException {
    beginPhase();
    CausalLM policy = lora.model();
    PpoConfig config = recipe.ppo().toBuilder().seed(seed(10)).build();
    List<long[]> prompts = new ArrayList<>();
    for (String p : grammar.prompts(recipe.promptPool(), new Random(seed(11)))) {
      prompts.add(promptIds(tokenizer, p));
    }
    RewardFunction scored =
        MissingEosPenalty.builder(rewardModel)
            .eosId(tokenizer.eosId())
            .penalty(recipe.missingEosPenalty())
            .build();
    double[] judged = new double[1]; // positive rate of the last batch, by the grammar
    GcBarrier barrier = new GcBarrier(1);
    RewardFunction reward =
        RewardFunction.named(
            "reward_model",
            batch -> {
              barrier.pass(); // called between the rollout and the update

              long positive =
                  batch.stream()
                      .filter(s -> grammar.judge(s.prompt() + s.response()).isPositive())
                      .count();
              judged[0] = positive / (double) batch.size();
              return scored.score(batch);
            });
    PpoTrainer trainer =
        PpoTrainer.builder()
            .model(policy)
            .trainable(lora.trainableParameters())
            .valueHead(valueHead)
            .reference(new AdapterSwitchingReference(lora))
            .config(config)
            .generation(generation(tokenizer, seed(10)))
            .tokenizer(tokenizer)
            .padId(tokenizer.padId())
            .build();
    PpoRun run =
        new PpoRun(
            new ArrayList<>(),
            new ArrayList<>(),
            new ArrayList<>(),
            new ArrayList<>(),
            new ArrayList<>(),
            new ArrayList<>());
    long total = recipe.ppoSteps();
    try (ProgressBar bar = reporter.bar("5/7 ppo", total);
        JsonlStatsWriter metrics = new JsonlStatsWriter(out.resolve("metrics.jsonl"))) {
      trainer.train(
          prompts,
          reward,
          total,
          (t, rollout, stats) -> {
            Map<String, Double> row = new LinkedHashMap<>(stats);
            row.put("judge/positive_rate", judged[0]);
            metrics.onStep(t.stepCount(), row);
            run.steps().add((double) t.stepCount());
            run.scores().add(stats.get("objective/scores"));
            run.kls().add(stats.get("objective/kl"));
            run.policyLoss().add(stats.get("ppo/loss/policy"));
            run.valueLoss().add(stats.get("ppo/loss/value"));
            run.judgedPositive().add(judged[0]);
            String line =
                String.format(
                    Locale.ROOT,
                    "reward %+.2f  kl %.2f  positive %3.0f%%",
                    stats.get("objective/scores"),
                    stats.get("objective/kl"),
                    100 * judged[0]);
            bar.update(t.stepCount(), line);
            if (reporter.logStep(t.stepCount(), total)) {
              reporter.log("  ppo step %d/%d %s", t.stepCount(), total, line);
            }
          });
    }
    int n = run.steps().size();
    endPhase(
        "ppo",
        "5/7 ppo: %d steps x %d rollouts, LoRA r=%d on %s, reward %+.2f -> %+.2f, kl %.2f",
        n,
        config.batchSize(),
        recipe.lora().r(),
        lora.adaptedModules(lora.activeAdapter()).size() + " modules",
        run.scores().get(0),
        run.scores().get(n - 1),
        run.kls().get(n - 1));
    return run;
  }

  private GenerationConfig generation(Tokenizer tokenizer, long seed) {
    return GenerationConfig.builder()
        .maxNewTokens(recipe.maxNewTokens())
        .eosTokenId(tokenizer.eosId())
        .padTokenId(tokenizer.padId())
        .sampling(
            SamplingConfig.builder().temperature(recipe.ppo().temperature()).seed(seed).build())
        .build();
  }

  private rlhf4j.policy.lora.LoraConfig loraConfig() {
    return recipe.lora().toBuilder()
        .baseModelNameOrPath(out.resolve("sft").toAbsolutePath().toString())
        .build();
  }

  // ------------------------------------------------------------------ 6 evaluation

  /** Both policies' samples on the same fresh prompts, and the PPO policy's KL per sample. */
  private record Evaluation(JudgedSamples before, JudgedSamples after, double[] kl) {
    double meanKl() {
      double s = 0;
      for (double k : kl) {
        s += k;
      }
      return s / kl.length;
    }
  }

  private Evaluation evaluate(LoraModel lora, Tokenizer tokenizer) {
    beginPhase();
    List<String> prompts = grammar.prompts(recipe.evalPrompts(), new Random(seed(12)));
    List<long[]> queries = new ArrayList<>();
    for (String p : prompts) {
      queries.add(promptIds(tokenizer, p));
    }
    // the same sampling seed for both policies: differences come from the policies
    GenerationConfig generation = generation(tokenizer, seed(13));
    JudgedSamples before;
    try (LoraModel.Restore off = lora.adaptersDisabled()) {
      before =
          JudgedSamples.generate(
              lora.model(),
              generation,
              prompts,
              queries,
              ids -> tokenizer.decode(ids, true),
              grammar,
              EVAL_BATCH);
    }
    JudgedSamples after =
        JudgedSamples.generate(
            lora.model(),
            generation,
            prompts,
            queries,
            ids -> tokenizer.decode(ids, true),
            grammar,
            EVAL_BATCH);
    Evaluation e =
        new Evaluation(before, after, after.klToReference(lora, tokenizer.padId(), EVAL_BATCH));
    endPhase(
        "evaluate",
        "6/7 evaluate (%d fresh prompts, judged by the grammar): positive %.2f -> %.2f,"
            + " grammatical %.2f -> %.2f, KL to reference %.2f nats",
        prompts.size(),
        before.positiveRate(),
        after.positiveRate(),
        before.grammaticalRate(),
        after.grammaticalRate(),
        e.meanKl());
    return e;
  }

  // ------------------------------------------------------------------ 7 report

  private QuickstartSummary report(
      LoraModel lora, BpeModel bpe, PpoRun ppo, Evaluation eval, long start, int threads)
      throws IOException {
    beginPhase();
    lora.save(out.resolve("adapter"));
    bpe.writeTo(out.resolve("adapter"));
    lora.mergeAndSave(out.resolve("merged"));
    bpe.writeTo(out.resolve("merged"));
    Charts.linePng(
        out.resolve("reward.png"),
        "PPO: reward per step",
        "PPO step",
        "mean reward-model score",
        "positive rate (grammar)",
        List.of(
            new Charts.Series("reward-model score", ppo.steps(), ppo.scores()),
            new Charts.Series("positive rate (grammar)", ppo.steps(), ppo.judgedPositive(), true)));
    Charts.linePng(
        out.resolve("kl.png"),
        "PPO: KL to the reference per step",
        "PPO step",
        "KL (nats per sequence)",
        List.of(new Charts.Series("objective/kl", ppo.steps(), ppo.kls())));
    Charts.linePng(
        out.resolve("losses.png"),
        "PPO losses per step",
        "PPO step",
        "loss",
        List.of(
            new Charts.Series("ppo/loss/policy", ppo.steps(), ppo.policyLoss()),
            new Charts.Series("ppo/loss/value", ppo.steps(), ppo.valueLoss())));
    Charts.linePng(
        out.resolve("sft_reward_model_losses.png"),
        "SFT and reward-model training losses",
        "optimizer step",
        "loss",
        List.of(
            new Charts.Series("sft", sftSteps, sftLosses),
            new Charts.Series("reward model", rewardSteps, rewardLosses)));
    List<String> shown = samplesText(eval);
    Files.write(out.resolve("samples.txt"), samplesFile(eval), StandardCharsets.UTF_8);
    phaseSeconds.put("report", (System.nanoTime() - phaseStart) / 1e9);
    double wall = (System.nanoTime() - start) / 1e9;
    int n = ppo.steps().size();
    QuickstartSummary summary =
        new QuickstartSummary(
            eval.before().positiveRate(),
            eval.after().positiveRate(),
            eval.before().grammaticalRate(),
            eval.after().grammaticalRate(),
            eval.meanKl(),
            rewardAccuracy,
            wall,
            eval.after().judgements().size(),
            n,
            sftFinalLoss,
            ppo.scores().get(0),
            ppo.scores().get(n - 1),
            ppo.kls().get(n - 1),
            threads,
            options.seed(),
            options.fast(),
            phaseSeconds);
    Files.writeString(out.resolve("summary.json"), summary.toJsonString(), StandardCharsets.UTF_8);
    reporter.log("7/7 report: samples before -> after PPO (judged by the grammar)");
    shown.forEach(s -> reporter.log("%s", s));
    reporter.log(
        "wrote %s: summary.json, metrics.jsonl, reward.png, kl.png, losses.png, samples.txt,"
            + " adapter/ (PEFT), merged/, sft/, reward_model/, tokenizer/",
        out);
    reporter.result(
        "positive rate %.2f -> %.2f, grammatical %.2f, KL %.2f nats, reward-model accuracy %.3f,"
            + " %s (%s)",
        summary.positiveRateBefore(),
        summary.positiveRateAfter(),
        summary.grammaticalRateAfter(),
        summary.klFinal(),
        summary.rewardModelAccuracy(),
        ProgressBar.time(wall),
        out.resolve("summary.json"));
    return summary;
  }

  private List<String> samplesText(Evaluation eval) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < recipe.shownSamples(); i++) {
      lines.add(
          String.format(
              Locale.ROOT,
              "  before  %-60s %s",
              oneLine(eval.before().text(i)),
              label(eval.before().judgements().get(i))));
      lines.add(
          String.format(
              Locale.ROOT,
              "  after   %-60s %s",
              oneLine(eval.after().text(i)),
              label(eval.after().judgements().get(i))));
    }
    return lines;
  }

  private List<String> samplesFile(Evaluation eval) {
    List<String> lines = new ArrayList<>();
    lines.add(
        "# Evaluation samples: the same fresh prompts, the SFT policy (before, adapters off)");
    lines.add("# and the PPO policy (after), judged by the grammar. KL = sum of log-ratios of the");
    lines.add("# after-sample to the reference, in nats.");
    for (int i = 0; i < eval.kl().length; i++) {
      lines.add("");
      lines.add("prompt  " + eval.before().prompts().get(i));
      lines.add(
          "before  "
              + oneLine(eval.before().text(i))
              + "  ["
              + label(eval.before().judgements().get(i))
              + "]");
      lines.add(
          String.format(
              Locale.ROOT,
              "after   %s  [%s] kl %.3f",
              oneLine(eval.after().text(i)),
              label(eval.after().judgements().get(i)),
              eval.kl()[i]));
    }
    return lines;
  }

  private static String oneLine(String s) {
    return s.replace("\n", "\\n");
  }

  private static String label(Judgement j) {
    return j.grammatical() ? j.sentiment().name().toLowerCase(Locale.ROOT) : "ungrammatical";
  }

  // ------------------------------------------------------------------ helpers

  /** A seed for random stream {@code stream} of this run. */
  private long seed(int stream) {
    long z = options.seed() * 0x9E3779B97F4A7C15L + stream * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return (z ^ (z >>> 31)) & 0x7FFFFFFFL; // small and non-negative: fits every seed field
  }

  private void beginPhase() {
    phaseStart = System.nanoTime();
  }

  private void endPhase(String name, String format, Object... args) {
    double seconds = (System.nanoTime() - phaseStart) / 1e9;
    phaseSeconds.put(name, seconds);
    reporter.log(format + " [%s]", append(args, ProgressBar.time(seconds)));
  }

  private static Object[] append(Object[] args, Object last) {
    Object[] r = java.util.Arrays.copyOf(args, args.length + 1);
    r[args.length] = last;
    return r;
  }
}
