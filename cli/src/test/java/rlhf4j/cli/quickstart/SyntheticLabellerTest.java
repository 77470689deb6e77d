package rlhf4j.cli.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import rlhf4j.cli.quickstart.SentimentGrammar.Judgement;
import rlhf4j.cli.quickstart.SentimentGrammar.Sentiment;
import rlhf4j.cli.quickstart.SyntheticLabeller.Kind;
import rlhf4j.cli.quickstart.SyntheticLabeller.LabelledPair;

class SyntheticLabellerTest {
  private final SentimentGrammar grammar = new SentimentGrammar();
  private final SyntheticLabeller labeller = new SyntheticLabeller(grammar);

  @Test
  void chosenIsAlwaysAGrammaticalPositiveSentenceAndRejectedNever() {
    List<LabelledPair> pairs = labeller.pairs(2001, new Random(1));
    int sentiment = 0;
    int emptyRejected = 0;
    for (LabelledPair lp : pairs) {
      Judgement chosen = grammar.judge(lp.pair().prompt() + lp.pair().chosen());
      Judgement rejected = grammar.judge(lp.pair().prompt() + lp.pair().rejected());
      assertTrue(chosen.isPositive(), lp.toString());
      assertFalse(rejected.isPositive(), lp.toString());
      if (lp.kind() == Kind.SENTIMENT) {
        sentiment++;
        assertEquals(Sentiment.NEGATIVE, rejected.sentiment(), lp.toString());
      } else {
        assertFalse(rejected.grammatical(), lp.toString());
      }
      assertTrue(lp.pair().chosen().startsWith(" "), lp.toString());
      assertTrue(
          lp.pair().rejected().isEmpty() || lp.pair().rejected().startsWith(" "), lp.toString());
      emptyRejected += lp.pair().rejected().isEmpty() ? 1 : 0;
    }
    assertEquals(667, sentiment, "one sentiment pair, then two fluency pairs");
    assertTrue(emptyRejected > 0, "a bare prompt is among the broken completions");
  }

  @Test
  void corruptionsCoverCutsRepeatsAndRunOns() {
    Random rng = new Random(2);
    String completion = " really brilliant .";
    boolean cut = false;
    boolean longer = false;
    boolean shorter = false;
    for (int i = 0; i < 300; i++) {
      String c = labeller.corrupt(completion, rng);
      cut |= completion.startsWith(c) && c.length() < completion.length();
      longer |= c.split(" ").length > completion.split(" ").length + 2; // a second sentence
      shorter |= c.split(" ").length < completion.split(" ").length;
      assertTrue(c.isEmpty() || c.startsWith(" "), c);
    }
    assertTrue(cut && longer && shorter);
  }

  @Test
  void aPositiveWordOutOfPlaceIsAmongTheCorruptions() {
    // "the film left me moved ." with a FEELING swapped for an ADJECTIVE is the hack PPO finds
    Random rng = new Random(4);
    String completion = " moved .";
    boolean misplaced = false;
    for (int i = 0; i < 300; i++) {
      String c = labeller.corrupt(completion, rng);
      String[] w = c.strip().split(" ");
      misplaced |=
          w.length == 2
              && w[1].equals(".")
              && grammar.polarity(w[0]) == Sentiment.POSITIVE
              && !grammar.judge("the film left me" + c).grammatical();
    }
    assertTrue(misplaced);
  }

  @Test
  void sameSeedSamePairs() {
    assertEquals(labeller.pairs(50, new Random(3)), labeller.pairs(50, new Random(3)));
  }
}
