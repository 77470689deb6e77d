package rlhf4j.cli.quickstart;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import rlhf4j.cli.quickstart.SentimentGrammar.Pair;
import rlhf4j.cli.quickstart.SentimentGrammar.Sample;
import rlhf4j.cli.quickstart.SentimentGrammar.Sentiment;

/**
 * The stand-in for InstructGPT's human labellers: preference pairs that prefer positive sentences
 * and well-formed ones. Two kinds, one sentiment pair then two fluency pairs:
 *
 * <ul>
 *   <li>sentiment pairs ({@link SentimentGrammar#preferencePair}): the same prompt completed with
 *       positive and with negative words, the positive one chosen;
 *   <li>fluency pairs: a positive sentence chosen over a broken copy of it (cut short, a word
 *       dropped, repeated, inserted or replaced, a second sentence run on, or a positive word put
 *       where its class does not fit, e.g. "the film left me superb ."), the copy checked
 *       ungrammatical by {@link SentimentGrammar#judge}.
 * </ul>
 *
 * <p>Without fluency pairs the reward model only learns "no negative word is good" and scores a
 * bare prompt or a pile of positive words above a real sentence, which PPO finds within a few steps
 * (reward hacking).
 */
final class SyntheticLabeller {
  /** Which preference a pair expresses. */
  enum Kind {
    SENTIMENT,
    FLUENCY
  }

  /** A pair with its kind. */
  record LabelledPair(Pair pair, Kind kind) {}

  private final SentimentGrammar grammar;
  private final List<String> vocabulary;
  private final List<String> positiveWords;

  SyntheticLabeller(SentimentGrammar grammar) {
    this.grammar = Objects.requireNonNull(grammar, "grammar");
    this.vocabulary = grammar.vocabulary().stream().sorted().toList();
    this.positiveWords =
        vocabulary.stream()
            .filter(w -> grammar.polarity(w) == SentimentGrammar.Sentiment.POSITIVE)
            .toList();
  }

  /**
   * {@code n} pairs: one sentiment pair, then two fluency pairs, and so on (sentiment is the easy
   * lesson; what makes a sentence well formed is the one PPO would otherwise exploit).
   */
  List<LabelledPair> pairs(int n, RandomGenerator rng) {
    List<LabelledPair> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(
          i % 3 == 0
              ? new LabelledPair(grammar.preferencePair(rng), Kind.SENTIMENT)
              : new LabelledPair(fluencyPair(rng), Kind.FLUENCY));
    }
    return out;
  }

  /** A positive sentence preferred over an ungrammatical corruption of its completion. */
  Pair fluencyPair(RandomGenerator rng) {
    Sample s = grammar.sample(rng, Sentiment.POSITIVE);
    for (int attempt = 0; attempt < 100; attempt++) {
      String broken = corrupt(s.completion(), rng);
      if (!grammar.judge(s.prompt() + broken).grammatical()) {
        return new Pair(s.prompt(), s.completion(), broken);
      }
    }
    // cutting the final word always breaks a sentence of this grammar
    return new Pair(s.prompt(), s.completion(), cut(words(s.completion()), 0));
  }

  /** One random edit of a completion (" w1 w2 ... ."), keeping the leading-space convention. */
  String corrupt(String completion, RandomGenerator rng) {
    List<String> w = words(completion);
    switch (rng.nextInt(8)) {
      case 0: // cut short, possibly to nothing
        return cut(w, rng.nextInt(w.size()));
      case 1: // drop a word
        w.remove(rng.nextInt(w.size()));
        break;
      case 2: // repeat a word
        {
          int i = rng.nextInt(w.size());
          w.add(i, w.get(i));
          break;
        }
      case 3: // insert a grammar word
        w.add(rng.nextInt(w.size() + 1), vocabulary.get(rng.nextInt(vocabulary.size())));
        break;
      case 4: // replace a word by a grammar word
        w.set(rng.nextInt(w.size()), vocabulary.get(rng.nextInt(vocabulary.size())));
        break;
      case 5: // run on into a second sentence
        w.addAll(words(grammar.sample(rng, Sentiment.POSITIVE).text()));
        break;
      default: // a positive word in the wrong place ("left me superb", "a brilliant .")
        {
          int i = rng.nextInt(w.size());
          for (int j = 0; j < w.size(); j++) {
            if (grammar.polarity(w.get(j)) != Sentiment.NEUTRAL) {
              i = j;
              break;
            }
          }
          w.set(i, positiveWords.get(rng.nextInt(positiveWords.size())));
        }
    }
    return w.isEmpty() ? "" : " " + String.join(" ", w);
  }

  private static String cut(List<String> w, int keep) {
    return keep == 0 ? "" : " " + String.join(" ", w.subList(0, keep));
  }

  private static List<String> words(String text) {
    String t = text.strip();
    return t.isEmpty() ? new ArrayList<>() : new ArrayList<>(Arrays.asList(t.split(" ")));
  }
}
