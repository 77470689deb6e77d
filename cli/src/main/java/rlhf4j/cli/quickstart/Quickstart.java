package rlhf4j.cli.quickstart;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import rlhf4j.cli.quickstart.SentimentGrammar.Sentiment;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.tokenizer.Tokenizer;

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
 *   <li>PPO (or GRPO, RLOO, DPO: {@link QuickstartAlgorithm}): LoRA adapters on the SFT model
 *       against the reward model (DPO: on its preference pairs), the reference being the same model
 *       with adapters off;
 *   <li>evaluation: fresh prompts, the SFT and the PPO policy judged by the grammar's own sentiment
 *       label, and the KL of the PPO policy to the reference;
 *   <li>report: samples, {@code summary.json}, {@code metrics.jsonl}, charts, the adapter, the
 *       merged model and the tokenizer.
 * </ol>
 *
 * <p>Each phase is a class whose {@code run} returns a record ({@link CorpusPhase}, {@link
 * SftPhase}, {@link RewardModelPhase}, {@link PpoPhase} or {@link GroupPhase} or {@link DpoPhase},
 * {@link EvaluationPhase}); {@link QuickstartReport} writes the report. This class runs them in
 * order.
 *
 * <pre>{@code
 * QuickstartSummary s = new Quickstart(new QuickstartOptions(dir, true, 0, false, 0)).run();
 * }</pre>
 */
public final class Quickstart {
  /** Special token that leads a positive sentence in part of the SFT corpus. */
  public static final String POSITIVE_TAG = "<|positive|>";

  /** Special token that leads a negative sentence in part of the SFT corpus. */
  public static final String NEGATIVE_TAG = "<|negative|>";

  private final QuickstartContext ctx;

  /** A run with the recipe the options select, reporting on stdout/stderr. */
  public Quickstart(QuickstartOptions options) {
    this(options, options.recipe());
  }

  /** A run with an explicit recipe (for tuning), reporting on stdout/stderr. */
  public Quickstart(QuickstartOptions options, QuickstartRecipe recipe) {
    this(options, recipe, Reporter.system(options.quiet()));
  }

  /** A run with explicit recipes for PPO's pipeline and the other algorithms (for tuning). */
  public Quickstart(
      QuickstartOptions options, QuickstartRecipe recipe, AlgorithmRecipes algorithmRecipes) {
    this.ctx =
        new QuickstartContext(options, recipe, algorithmRecipes, Reporter.system(options.quiet()));
  }

  Quickstart(QuickstartOptions options, QuickstartRecipe recipe, Reporter reporter) {
    this.ctx = new QuickstartContext(options, recipe, reporter);
  }

  /**
   * Runs the seven phases and writes every artefact into {@link QuickstartOptions#out()}.
   *
   * @return the evaluation's headline numbers (also in {@code summary.json})
   * @throws IOException if the output folder cannot be written
   */
  public QuickstartSummary run() throws IOException {
    long start = System.nanoTime();
    QuickstartOptions options = ctx.options();
    Path out = ctx.out();
    Files.createDirectories(out);
    Files.deleteIfExists(out.resolve("metrics.jsonl"));
    Files.deleteIfExists(out.resolve("sft_metrics.jsonl"));
    Files.deleteIfExists(out.resolve("reward_model_metrics.jsonl"));
    if (options.threads() > 0) {
      Engine.getInstance();
      JniUtils.setNumThreads(options.threads());
    }
    Engine.getInstance().setRandomSeed((int) ctx.seed(0));
    int threads = JniUtils.getNumThreads();
    ctx.reporter()
        .log(
            "rlhf4j quickstart: SFT -> reward model -> %s (LoRA, reference = adapters off) on a"
                + " synthetic sentiment task%s, seed %d, %d thread%s",
            ctx.algorithm().label(),
            options.fast() ? " (--fast)" : "",
            options.seed(),
            threads,
            threads == 1 ? "" : "s");

    CorpusPhase.Corpus corpus = CorpusPhase.run(ctx);
    try (Tokenizer tokenizer = Tokenizer.load(out.resolve("tokenizer"));
        SftPhase.Result sft = SftPhase.run(ctx, corpus.texts(), tokenizer, corpus.bpe());
        RewardModelPhase.Result reward = RewardModelPhase.run(ctx, tokenizer, corpus.bpe());
        LoraModel lora = LoraModel.inject(sft.model(), loraConfig(), ctx.seed(8))) {
      TrainingCurves curves = train(lora, sft, reward, tokenizer);
      EvaluationPhase.Evaluation eval = EvaluationPhase.run(ctx, lora, tokenizer);
      return QuickstartReport.write(
          ctx, lora, corpus.bpe(), sft, reward, curves, eval, start, threads);
    }
  }

  /** Phase 5 with the chosen algorithm. */
  private TrainingCurves train(
      LoraModel lora, SftPhase.Result sft, RewardModelPhase.Result reward, Tokenizer tokenizer)
      throws IOException {
    switch (ctx.algorithm()) {
      case PPO:
        try (NDManager heads = NDManager.newBaseManager();
            ValueHead valueHead =
                ValueHead.create(heads, sft.model().config().hiddenSize(), true, ctx.seed(9))) {
          return PpoPhase.run(ctx, lora, valueHead, reward.model(), tokenizer);
        }
      case GRPO:
      case RLOO:
        return GroupPhase.run(ctx, lora, reward.model(), tokenizer);
      case DPO:
        return DpoPhase.run(ctx, lora, tokenizer);
      default:
        throw new IllegalStateException("no phase for " + ctx.algorithm());
    }
  }

  private LoraConfig loraConfig() {
    return ctx.recipe().lora().toBuilder()
        .baseModelNameOrPath(ctx.out().resolve("sft").toAbsolutePath().toString())
        .build();
  }

  /** The special token that leads a tagged sentence. */
  static String tag(Sentiment sentiment) {
    return sentiment == Sentiment.POSITIVE ? POSITIVE_TAG : NEGATIVE_TAG;
  }

  /** A prompt as the policy sees it: BOS ({@code <|endoftext|>}), then the text. */
  static long[] promptIds(Tokenizer tokenizer, String text) {
    long[] ids = tokenizer.encode(text);
    long[] r = new long[ids.length + 1];
    r[0] = tokenizer.bosId();
    System.arraycopy(ids, 0, r, 1, ids.length);
    return r;
  }
}
