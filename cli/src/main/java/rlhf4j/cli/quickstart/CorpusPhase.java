package rlhf4j.cli.quickstart;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import rlhf4j.cli.quickstart.SentimentGrammar.Sample;
import rlhf4j.cli.quickstart.SentimentGrammar.Sentiment;
import rlhf4j.policy.tokenizer.BpeModel;
import rlhf4j.policy.tokenizer.BpeTrainer;

/** Quickstart phases 1 and 2: the review corpus and the byte-level BPE trained on it. */
final class CorpusPhase {
  /**
   * The outcome of phases 1 and 2.
   *
   * @param texts the corpus sentences, each led by a header token (written to corpus.txt)
   * @param bpe the tokenizer (written to tokenizer/)
   */
  record Corpus(List<String> texts, BpeModel bpe) {}

  private CorpusPhase() {}

  /** Runs both phases. */
  static Corpus run(QuickstartContext ctx) throws IOException {
    List<String> texts = corpus(ctx);
    return new Corpus(texts, tokenizer(ctx, texts));
  }

  /**
   * Review sentences, each led by a header token as GPT-2 documents follow {@code <|endoftext|>}: a
   * share of them by a sentiment tag ({@code "<|positive|>the plot was brilliant ."}), the rest by
   * {@code <|endoftext|>}. The tags are what teaches the tiny model what sentiment is, as
   * pretraining does for a real LM; PPO and evaluation prompts start with {@code <|endoftext|>}.
   */
  private static List<String> corpus(QuickstartContext ctx) throws IOException {
    ctx.beginPhase();
    QuickstartRecipe recipe = ctx.recipe();
    Random rng = new Random(ctx.seed(1));
    List<String> texts = new ArrayList<>();
    int positive = 0;
    int rated = 0;
    for (int i = 0; i < recipe.corpusSize(); i++) {
      Sample s = ctx.grammar().sample(rng);
      boolean withRating = rng.nextDouble() < recipe.ratedFraction();
      texts.add((withRating ? Quickstart.tag(s.sentiment()) : BpeTrainer.END_OF_TEXT) + s.text());
      positive += s.sentiment() == Sentiment.POSITIVE ? 1 : 0;
      rated += withRating ? 1 : 0;
    }
    Files.write(ctx.out().resolve("corpus.txt"), texts, StandardCharsets.UTF_8);
    ctx.endPhase(
        "corpus",
        "1/7 corpus: %d review sentences, %.0f%% positive, %.0f%% tagged with it, e.g. \"%s\"",
        texts.size(),
        100.0 * positive / texts.size(),
        100.0 * rated / texts.size(),
        texts.get(0));
    return texts;
  }

  private static BpeModel tokenizer(QuickstartContext ctx, List<String> corpus) throws IOException {
    ctx.beginPhase();
    BpeModel bpe =
        BpeTrainer.builder()
            .vocabSize(ctx.recipe().vocabSize())
            .specialTokens(
                BpeTrainer.END_OF_TEXT,
                BpeTrainer.PAD,
                Quickstart.POSITIVE_TAG,
                Quickstart.NEGATIVE_TAG)
            .build()
            .train(corpus);
    bpe.writeTo(ctx.out().resolve("tokenizer"));
    int single = 0;
    for (String w : ctx.grammar().vocabulary()) {
      single += bpe.encode(" " + w).length == 1 ? 1 : 0;
    }
    ctx.endPhase(
        "tokenizer",
        "2/7 tokenizer: byte-level BPE, %d tokens (%d merges), %d/%d grammar words are one token",
        bpe.vocabSize(),
        bpe.numMerges(),
        single,
        ctx.grammar().vocabulary().size());
    return bpe;
  }
}
