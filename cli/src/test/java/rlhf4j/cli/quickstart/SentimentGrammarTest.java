package rlhf4j.cli.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import rlhf4j.cli.quickstart.SentimentGrammar.Judgement;
import rlhf4j.cli.quickstart.SentimentGrammar.Pair;
import rlhf4j.cli.quickstart.SentimentGrammar.Sample;
import rlhf4j.cli.quickstart.SentimentGrammar.Sentiment;

class SentimentGrammarTest {
  private final SentimentGrammar grammar = new SentimentGrammar();
  private final List<Sample> samples = grammar.samples(2000, 42);

  private List<String> words(String text) {
    return new ArrayList<>(Arrays.asList(text.split(" ")));
  }

  /**
   * An independent recogniser: one regular expression per template, built from the public templates
   * and word lists, matched against the text plus a trailing space.
   */
  private Pattern regexOracle() {
    Map<String, List<String>> classes = grammar.wordClasses();
    List<String> alternatives = new ArrayList<>();
    for (String template : grammar.templates()) {
      StringBuilder re = new StringBuilder();
      for (String part : template.split(" ")) {
        if (part.equals("|")) {
          continue;
        }
        boolean optional = part.endsWith("?");
        String name = optional ? part.substring(0, part.length() - 1) : part;
        List<String> options = new ArrayList<>();
        if (classes.containsKey(name)) {
          options.addAll(classes.get(name));
        } else if (classes.containsKey(name + "+")) {
          options.addAll(classes.get(name + "+"));
          options.addAll(classes.get(name + "-"));
        } else {
          options.add(name);
        }
        String alt =
            "(?:" + options.stream().map(Pattern::quote).collect(Collectors.joining("|")) + ") ";
        re.append(optional ? "(?:" + alt + ")?" : alt);
      }
      alternatives.add("(?:" + re + ")");
    }
    return Pattern.compile(String.join("|", alternatives));
  }

  @Test
  void generatedSentencesAreGrammaticalWithTheirTrueLabel() {
    for (Sample s : samples) {
      Judgement j = grammar.judge(s.text());
      assertTrue(j.grammatical(), s.text());
      assertEquals(s.sentiment(), j.sentiment(), s.text());
      assertTrue(s.text().startsWith(s.prompt() + " "), s.text());
    }
  }

  @Test
  void everyTemplateIsUsedAndSentimentIsBalanced() {
    long positive = samples.stream().filter(s -> s.sentiment() == Sentiment.POSITIVE).count();
    double fraction = positive / (double) samples.size();
    assertTrue(fraction > 0.4 && fraction < 0.6, "positive fraction " + fraction);
    Set<String> prompts = samples.stream().map(Sample::prompt).collect(Collectors.toSet());
    assertTrue(prompts.size() > 50, "distinct prompts " + prompts.size());
    Set<String> firstWords =
        samples.stream().map(s -> s.text().split(" ")[0]).collect(Collectors.toSet());
    assertEquals(Set.of("the", "i", "this", "overall"), firstWords);
  }

  @Test
  void truncatedSentencesAreUngrammatical() {
    for (Sample s : samples.subList(0, 300)) {
      List<String> w = words(s.text());
      for (int len = 0; len < w.size(); len++) {
        String prefix = String.join(" ", w.subList(0, len));
        assertFalse(grammar.judge(prefix).grammatical(), prefix);
      }
      assertFalse(grammar.judge(s.prompt()).grammatical(), s.prompt());
    }
  }

  @Test
  void droppingAnyWordButAnAdverbMakesASentenceUngrammatical() {
    Set<String> adverbs = new HashSet<>(grammar.wordClasses().get("ADVERB"));
    for (Sample s : samples.subList(0, 300)) {
      List<String> w = words(s.text());
      for (int i = 0; i < w.size(); i++) {
        if (adverbs.contains(w.get(i))) {
          continue;
        }
        List<String> dropped = new ArrayList<>(w);
        dropped.remove(i);
        String text = String.join(" ", dropped);
        assertFalse(grammar.judge(text).grammatical(), text);
      }
    }
  }

  @Test
  void insertingAnyWordButAnAdverbMakesASentenceUngrammatical() {
    Random rng = new Random(3);
    Set<String> adverbs = new HashSet<>(grammar.wordClasses().get("ADVERB"));
    List<String> others =
        grammar.vocabulary().stream().filter(v -> !adverbs.contains(v)).sorted().toList();
    for (Sample s : samples.subList(0, 500)) {
      List<String> w = words(s.text());
      for (int k = 0; k < 5; k++) {
        List<String> inserted = new ArrayList<>(w);
        inserted.add(rng.nextInt(w.size() + 1), others.get(rng.nextInt(others.size())));
        String text = String.join(" ", inserted);
        assertFalse(grammar.judge(text).grammatical(), text);
      }
      List<String> unknown = new ArrayList<>(w);
      unknown.add(rng.nextInt(w.size() + 1), "banana");
      assertFalse(grammar.judge(String.join(" ", unknown)).grammatical());
    }
  }

  @Test
  void recogniserAgreesWithARegexOracleOnRandomMutations() {
    Pattern oracle = regexOracle();
    List<String> vocab = grammar.vocabulary().stream().sorted().toList();
    Random rng = new Random(11);
    int grammaticalMutants = 0;
    int total = 0;
    for (Sample s : samples) {
      assertTrue(oracle.matcher(s.text() + " ").matches(), s.text());
      List<String> w = words(s.text());
      int i = rng.nextInt(w.size());
      switch (rng.nextInt(4)) {
        case 0 -> w.remove(i);
        case 1 -> w.add(i, vocab.get(rng.nextInt(vocab.size())));
        case 2 -> w.set(i, vocab.get(rng.nextInt(vocab.size())));
        default -> {
          int j = rng.nextInt(w.size());
          String tmp = w.get(i);
          w.set(i, w.get(j));
          w.set(j, tmp);
        }
      }
      String text = String.join(" ", w);
      boolean expected = oracle.matcher(text + " ").matches();
      assertEquals(expected, grammar.judge(text).grammatical(), text);
      grammaticalMutants += expected ? 1 : 0;
      total++;
    }
    // both outcomes occur, so the comparison checks something on each side
    assertTrue(
        grammaticalMutants > 50 && grammaticalMutants < total - 500, "" + grammaticalMutants);
  }

  @Test
  void judgeNormalisesWhitespaceAndLabelsHandWrittenSentences() {
    Judgement j = grammar.judge("  the movie   was\ttruly brilliant .\n");
    assertEquals(new Judgement(true, Sentiment.POSITIVE, 1, 0), j);
    assertTrue(j.isPositive());
    assertEquals(
        new Judgement(true, Sentiment.NEGATIVE, 0, 1), grammar.judge("i found the film dull ."));
    assertEquals(
        new Judgement(true, Sentiment.NEUTRAL, 1, 1),
        grammar.judge("the acting was brilliant and the plot was dull ."));
    assertEquals(
        new Judgement(true, Sentiment.POSITIVE, 2, 0),
        grammar.judge("the acting was brilliant and the plot was gripping ."));
    assertEquals(
        new Judgement(false, Sentiment.NEUTRAL, 3, 0),
        grammar.judge("brilliant brilliant brilliant"));
    assertFalse(grammar.judge("the movie was brilliant").grammatical());
    assertFalse(grammar.judge("The movie was brilliant .").grammatical());
    assertFalse(grammar.judge("the movie was brilliant . the movie was brilliant .").grammatical());
    assertFalse(grammar.judge("").grammatical());
    assertFalse(grammar.judge("   ").grammatical());
  }

  @Test
  void promptsArePrefixesThatNeedACompletion() {
    List<String> prompts = grammar.prompts(200, new Random(5));
    assertEquals(200, prompts.size());
    for (String p : prompts) {
      assertEquals(p.strip(), p);
      Judgement j = grammar.judge(p);
      assertFalse(j.grammatical(), p);
      assertEquals(0, j.positiveWords() + j.negativeWords(), p);
    }
    assertTrue(new HashSet<>(prompts).size() > 30);
  }

  @Test
  void preferencePairsDifferOnlyInSentimentWords() {
    Random rng = new Random(9);
    for (int i = 0; i < 500; i++) {
      Pair pair = grammar.preferencePair(rng);
      Judgement chosen = grammar.judge(pair.prompt() + pair.chosen());
      Judgement rejected = grammar.judge(pair.prompt() + pair.rejected());
      assertTrue(chosen.isPositive(), pair.toString());
      assertTrue(rejected.grammatical(), pair.toString());
      assertEquals(Sentiment.NEGATIVE, rejected.sentiment(), pair.toString());
      assertTrue(pair.chosen().startsWith(" ") && pair.rejected().startsWith(" "));
      List<String> a = words(pair.chosen().strip());
      List<String> b = words(pair.rejected().strip());
      assertEquals(a.size(), b.size(), pair.toString());
      for (int k = 0; k < a.size(); k++) {
        if (!a.get(k).equals(b.get(k))) {
          assertEquals(Sentiment.POSITIVE, grammar.polarity(a.get(k)), pair.toString());
          assertEquals(Sentiment.NEGATIVE, grammar.polarity(b.get(k)), pair.toString());
        }
      }
    }
  }

  @Test
  void sameSeedSameCorpusOtherSeedOtherCorpus() {
    assertEquals(grammar.corpus(300, 1), new SentimentGrammar().corpus(300, 1));
    assertNotEquals(grammar.corpus(300, 1), grammar.corpus(300, 2));
    Random a = new Random(4);
    Random b = new Random(4);
    for (int i = 0; i < 50; i++) {
      assertEquals(grammar.preferencePair(a), grammar.preferencePair(b));
    }
    assertEquals(grammar.prompts(20, new Random(8)), grammar.prompts(20, new Random(8)));
  }

  @Test
  void vocabularyIsSmallAndPolarWordsHaveOnePolarity() {
    int size = grammar.vocabulary().size();
    assertTrue(size >= 100 && size <= 200, "vocabulary size " + size);
    Map<String, List<String>> classes = grammar.wordClasses();
    for (Map.Entry<String, List<String>> e : classes.entrySet()) {
      Sentiment expected =
          e.getKey().endsWith("+")
              ? Sentiment.POSITIVE
              : e.getKey().endsWith("-") ? Sentiment.NEGATIVE : Sentiment.NEUTRAL;
      for (String w : e.getValue()) {
        assertEquals(expected, grammar.polarity(w), e.getKey() + " " + w);
        assertTrue(grammar.vocabulary().contains(w), w);
      }
    }
    assertThrows(
        IllegalArgumentException.class, () -> grammar.sample(new Random(1), Sentiment.NEUTRAL));
  }
}
