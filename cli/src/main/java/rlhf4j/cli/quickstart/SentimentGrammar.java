package rlhf4j.cli.quickstart;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * A tiny grammar of one-sentence movie reviews with a known sentiment, for the offline quickstart:
 * it generates the SFT corpus, prompts and preference pairs, and judges any policy output.
 *
 * <p>Sentences are lower case, with the final {@code .} and the {@code ,} written as separate
 * words, e.g. {@code "the acting was truly brilliant and the plot was gripping ."}. Each template
 * has a prompt part and a completion part; every sentiment-bearing word lies in the completion, so
 * the policy decides the sentiment. There is no negation: a sentence's sentiment is the polarity of
 * its sentiment-bearing words (generated sentences never mix polarities; a judged sentence that
 * does is {@link Sentiment#NEUTRAL}).
 */
public final class SentimentGrammar {

  /** Sentiment of a sentence; NEUTRAL also stands for mixed or unknown (ungrammatical text). */
  public enum Sentiment {
    POSITIVE,
    NEGATIVE,
    NEUTRAL
  }

  /**
   * A generated sentence {@code prompt + completion}.
   *
   * @param prompt the words before the completion, no trailing space
   * @param completion the rest of the sentence, starting with a space
   * @param sentiment the true sentiment (POSITIVE or NEGATIVE)
   */
  public record Sample(String prompt, String completion, Sentiment sentiment) {
    /** The whole sentence. */
    public String text() {
      return prompt + completion;
    }
  }

  /**
   * Two completions of the same prompt that differ only in their sentiment-bearing words.
   *
   * @param prompt the shared prompt, no trailing space
   * @param chosen the positive completion, starting with a space
   * @param rejected the negative completion, starting with a space
   */
  public record Pair(String prompt, String chosen, String rejected) {}

  /**
   * The verdict on a text.
   *
   * @param grammatical the whitespace-normalised text is one complete sentence of the grammar
   * @param sentiment POSITIVE or NEGATIVE for a grammatical sentence whose sentiment words all have
   *     that polarity; NEUTRAL for mixed polarities or ungrammatical text
   * @param positiveWords number of positive words in the text, grammatical or not
   * @param negativeWords number of negative words in the text, grammatical or not
   */
  public record Judgement(
      boolean grammatical, Sentiment sentiment, int positiveWords, int negativeWords) {
    /** A grammatical, positive sentence: what the quickstart's PPO run aims for. */
    public boolean isPositive() {
      return grammatical && sentiment == Sentiment.POSITIVE;
    }
  }

  /**
   * Templates: lower-case words are literal, upper-case names are word classes, {@code ?} marks an
   * optional slot, {@code |} separates prompt from completion.
   */
  private static final List<String> TEMPLATES =
      List.of(
          "the SUBJECT was | ADVERB? ADJECTIVE .",
          "the SUBJECT was | ADVERB? ADJECTIVE and the SUBJECT was ADVERB? ADJECTIVE .",
          "i found the SUBJECT | ADVERB? ADJECTIVE .",
          "i thought the SUBJECT was | ADVERB? ADJECTIVE .",
          "the SUBJECT felt | ADVERB? ADJECTIVE .",
          "i | VERB the SUBJECT .",
          "this FILM is a | NOUN .",
          "overall , the FILM was a | NOUN .",
          "the FILM left me | ADVERB? FEELING .",
          "i would | RECOMMENDATION this FILM .");

  private static final List<String> FILMS =
      List.of(
          "movie",
          "film",
          "sequel",
          "remake",
          "thriller",
          "comedy",
          "drama",
          "musical",
          "cartoon",
          "documentary");

  private static final List<String> ASPECTS =
      List.of(
          "acting",
          "plot",
          "story",
          "script",
          "dialogue",
          "soundtrack",
          "music",
          "ending",
          "pacing",
          "direction",
          "cinematography",
          "editing",
          "casting",
          "humour",
          "camerawork",
          "lighting",
          "animation",
          "writing",
          "premise",
          "finale");

  private static final List<String> ADVERBS =
      List.of("really", "truly", "very", "quite", "simply", "utterly", "genuinely", "incredibly");

  /** Sentiment-bearing classes: positive words, then negative words. */
  private static final Map<String, List<List<String>>> POLAR =
      Map.of(
          "ADJECTIVE",
          List.of(
              List.of(
                  "brilliant",
                  "gripping",
                  "wonderful",
                  "moving",
                  "superb",
                  "delightful",
                  "charming",
                  "clever",
                  "beautiful",
                  "stunning",
                  "excellent",
                  "touching",
                  "hilarious",
                  "fresh",
                  "powerful",
                  "engaging",
                  "memorable",
                  "great",
                  "fantastic",
                  "lovely",
                  "inspired",
                  "thrilling",
                  "elegant",
                  "witty"),
              List.of(
                  "dull",
                  "boring",
                  "awful",
                  "terrible",
                  "clumsy",
                  "tedious",
                  "bland",
                  "predictable",
                  "weak",
                  "messy",
                  "lifeless",
                  "dreadful",
                  "silly",
                  "forgettable",
                  "painful",
                  "flat",
                  "poor",
                  "bad",
                  "horrible",
                  "shallow",
                  "lazy",
                  "confusing",
                  "stale",
                  "overlong")),
          "VERB",
          List.of(
              List.of("loved", "enjoyed", "adored", "admired", "liked"),
              List.of("hated", "disliked", "loathed", "despised", "resented")),
          "NOUN",
          List.of(
              List.of("masterpiece", "triumph", "gem", "delight", "treat", "joy", "marvel"),
              List.of("mess", "disaster", "bore", "failure", "letdown", "chore", "flop")),
          "FEELING",
          List.of(
              List.of("moved", "inspired", "delighted", "thrilled", "happy", "uplifted"),
              List.of("bored", "annoyed", "disappointed", "cold", "frustrated", "tired")),
          "RECOMMENDATION",
          List.of(List.of("recommend", "rewatch", "praise"), List.of("avoid", "skip", "forget")));

  private static final Pattern WHITESPACE =
      Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

  private final List<Template> templates;
  private final Map<String, List<String>> neutralClasses;
  private final Map<String, Sentiment> lexicon; // polar word -> polarity
  private final Set<String> vocabulary;

  /** One slot of a template: a literal word or a word class. */
  private record Slot(String literal, String wordClass, boolean optional, boolean polar) {}

  /** A parsed template; slots before {@code cut} form the prompt. */
  private record Template(List<Slot> slots, int cut) {}

  /** The grammar described in the class comment. */
  public SentimentGrammar() {
    List<String> subjects = new ArrayList<>(FILMS);
    subjects.addAll(ASPECTS);
    neutralClasses = new LinkedHashMap<>();
    neutralClasses.put("FILM", FILMS);
    neutralClasses.put("SUBJECT", List.copyOf(subjects));
    neutralClasses.put("ADVERB", ADVERBS);
    lexicon = new LinkedHashMap<>();
    for (String cls : new TreeSet<>(POLAR.keySet())) {
      addPolar(POLAR.get(cls).get(0), Sentiment.POSITIVE);
      addPolar(POLAR.get(cls).get(1), Sentiment.NEGATIVE);
    }
    Set<String> vocab = new LinkedHashSet<>();
    List<Template> parsed = new ArrayList<>();
    for (String t : TEMPLATES) {
      List<Slot> slots = new ArrayList<>();
      int cut = -1;
      for (String part : t.split(" ")) {
        if (part.equals("|")) {
          cut = slots.size();
          continue;
        }
        boolean optional = part.endsWith("?");
        String name = optional ? part.substring(0, part.length() - 1) : part;
        if (name.equals(name.toLowerCase(Locale.ROOT))) {
          slots.add(new Slot(name, null, false, false));
          vocab.add(name);
        } else {
          slots.add(new Slot(null, name, optional, POLAR.containsKey(name)));
        }
      }
      if (cut < 1 || slots.subList(0, cut).stream().anyMatch(x -> x.polar() || x.optional())) {
        throw new IllegalStateException(
            "template '" + t + "' needs a non-empty prompt of fixed words before '|'");
      }
      parsed.add(new Template(List.copyOf(slots), cut));
    }
    templates = parsed;
    for (List<String> words : neutralClasses.values()) {
      for (String w : words) {
        if (lexicon.containsKey(w)) {
          throw new IllegalStateException("word '" + w + "' is both neutral and polar");
        }
      }
      vocab.addAll(words);
    }
    for (String w : vocab) {
      if (lexicon.containsKey(w)) {
        throw new IllegalStateException("literal word '" + w + "' is also polar");
      }
    }
    vocab.addAll(lexicon.keySet());
    vocabulary = Collections.unmodifiableSet(vocab);
  }

  private void addPolar(List<String> words, Sentiment polarity) {
    for (String w : words) {
      Sentiment old = lexicon.put(w, polarity);
      if (old != null && old != polarity) {
        throw new IllegalStateException("word '" + w + "' is both " + old + " and " + polarity);
      }
    }
  }

  /** The template strings (see the class comment for the notation). */
  public List<String> templates() {
    return TEMPLATES;
  }

  /**
   * Every word class with its words: neutral classes (FILM, SUBJECT, ADVERB) and, for each
   * sentiment-bearing class C, {@code C+} (positive words) and {@code C-} (negative words).
   */
  public Map<String, List<String>> wordClasses() {
    Map<String, List<String>> out = new LinkedHashMap<>(neutralClasses);
    for (String cls : new TreeSet<>(POLAR.keySet())) {
      out.put(cls + "+", POLAR.get(cls).get(0));
      out.put(cls + "-", POLAR.get(cls).get(1));
    }
    return Collections.unmodifiableMap(out);
  }

  /** All words the grammar uses, punctuation included. */
  public Set<String> vocabulary() {
    return vocabulary;
  }

  /** The polarity of a sentiment-bearing word, or NEUTRAL for any other string. */
  public Sentiment polarity(String word) {
    return lexicon.getOrDefault(word, Sentiment.NEUTRAL);
  }

  /** A sentence with a sentiment drawn 50/50. */
  public Sample sample(RandomGenerator rng) {
    return sample(rng, rng.nextBoolean() ? Sentiment.POSITIVE : Sentiment.NEGATIVE);
  }

  /**
   * A sentence with the given sentiment.
   *
   * @throws IllegalArgumentException if sentiment is NEUTRAL
   */
  public Sample sample(RandomGenerator rng, Sentiment sentiment) {
    if (sentiment == Sentiment.NEUTRAL) {
      throw new IllegalArgumentException("sentiment must be POSITIVE or NEGATIVE, got NEUTRAL");
    }
    Fill fill = fill(rng);
    return new Sample(fill.prompt(), fill.completion(sentiment, rng), sentiment);
  }

  /** {@code n} sentences from a {@code java.util.Random} seeded with {@code seed}. */
  public List<Sample> samples(int n, long seed) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, got " + n);
    }
    Random rng = new Random(seed);
    List<Sample> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(sample(rng));
    }
    return out;
  }

  /** {@code n} sentence texts (the SFT corpus) from a {@code Random} seeded with {@code seed}. */
  public List<String> corpus(int n, long seed) {
    return samples(n, seed).stream().map(Sample::text).toList();
  }

  /**
   * {@code n} prompts (sentence prefixes such as {@code "the plot was"} or {@code "i found the
   * acting"}, no trailing space) for the policy to continue.
   */
  public List<String> prompts(int n, RandomGenerator rng) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, got " + n);
    }
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(fill(rng).prompt());
    }
    return out;
  }

  /**
   * A positive and a negative completion of one prompt for reward-model training: same template,
   * same neutral words, sentiment-bearing words drawn from each polarity.
   */
  public Pair preferencePair(RandomGenerator rng) {
    Fill fill = fill(rng);
    return new Pair(
        fill.prompt(),
        fill.completion(Sentiment.POSITIVE, rng),
        fill.completion(Sentiment.NEGATIVE, rng));
  }

  /**
   * Judges any text: whether it is one complete sentence of the grammar after collapsing runs of
   * whitespace and trimming (case-sensitive), and its sentiment.
   */
  public Judgement judge(String text) {
    String stripped = text.strip();
    String[] words = stripped.isEmpty() ? new String[0] : WHITESPACE.split(stripped);
    int pos = 0;
    int neg = 0;
    for (String w : words) {
      Sentiment p = polarity(w);
      if (p == Sentiment.POSITIVE) {
        pos++;
      } else if (p == Sentiment.NEGATIVE) {
        neg++;
      }
    }
    boolean grammatical = false;
    for (Template template : templates) {
      if (matches(template.slots(), 0, words, 0)) {
        grammatical = true;
        break;
      }
    }
    Sentiment sentiment = Sentiment.NEUTRAL;
    if (grammatical && pos > 0 && neg == 0) {
      sentiment = Sentiment.POSITIVE;
    } else if (grammatical && neg > 0 && pos == 0) {
      sentiment = Sentiment.NEGATIVE;
    }
    return new Judgement(grammatical, sentiment, pos, neg);
  }

  /** Backtracking match of {@code words[wi..]} against {@code slots[si..]}. */
  private boolean matches(List<Slot> slots, int si, String[] words, int wi) {
    if (si == slots.size()) {
      return wi == words.length;
    }
    Slot slot = slots.get(si);
    if (slot.optional() && matches(slots, si + 1, words, wi)) {
      return true;
    }
    return wi < words.length && accepts(slot, words[wi]) && matches(slots, si + 1, words, wi + 1);
  }

  private boolean accepts(Slot slot, String word) {
    if (slot.literal() != null) {
      return slot.literal().equals(word);
    }
    if (slot.polar()) {
      List<List<String>> both = POLAR.get(slot.wordClass());
      return both.get(0).contains(word) || both.get(1).contains(word);
    }
    return neutralClasses.get(slot.wordClass()).contains(word);
  }

  /** A template with its prompt and neutral completion words chosen; polar slots still open. */
  private record Fill(String prompt, List<Object> rest) {
    String completion(Sentiment sentiment, RandomGenerator rng) {
      StringBuilder sb = new StringBuilder();
      for (Object o : rest) {
        String word;
        if (o instanceof Slot polarSlot) {
          List<String> words =
              POLAR.get(polarSlot.wordClass()).get(sentiment == Sentiment.POSITIVE ? 0 : 1);
          word = words.get(rng.nextInt(words.size()));
        } else {
          word = (String) o;
        }
        sb.append(' ').append(word);
      }
      return sb.toString();
    }
  }

  private Fill fill(RandomGenerator rng) {
    Template template = templates.get(rng.nextInt(templates.size()));
    List<String> promptWords = new ArrayList<>();
    List<Object> rest = new ArrayList<>();
    Set<String> usedSubjects = new LinkedHashSet<>();
    for (int si = 0; si < template.slots().size(); si++) {
      Slot slot = template.slots().get(si);
      Object item;
      if (slot.literal() != null) {
        item = slot.literal();
      } else if (slot.polar()) {
        item = slot;
      } else {
        if (slot.optional() && rng.nextBoolean()) {
          continue;
        }
        List<String> words = neutralClasses.get(slot.wordClass());
        String w;
        do { // two subjects in one sentence are distinct
          w = words.get(rng.nextInt(words.size()));
        } while (slot.wordClass().equals("SUBJECT") && usedSubjects.contains(w));
        if (slot.wordClass().equals("SUBJECT")) {
          usedSubjects.add(w);
        }
        item = w;
      }
      if (si < template.cut()) {
        promptWords.add((String) item); // prompts hold no polar slot
      } else {
        rest.add(item);
      }
    }
    return new Fill(String.join(" ", promptWords), rest);
  }
}
