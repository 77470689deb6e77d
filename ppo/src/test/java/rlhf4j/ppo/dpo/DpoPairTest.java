package rlhf4j.ppo.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import rlhf4j.reward.model.PreferencePair;

/**
 * Text pairs to DPO ids: plain pairs with the tokenizer's encoder, chat pairs with the plain one.
 */
class DpoPairTest {
  /** Encodes each character as its code, plus a leading "BOS" 1 when {@code bos}. */
  private static Function<String, long[]> encoder(boolean bos) {
    return s -> {
      long[] out = new long[s.length() + (bos ? 1 : 0)];
      if (bos) {
        out[0] = 1;
      }
      for (int i = 0; i < s.length(); i++) {
        out[i + (bos ? 1 : 0)] = s.charAt(i);
      }
      return out;
    };
  }

  @Test
  void chatPairsAreEncodedWithoutTemplateTokensAndStillGetEos() {
    List<PreferencePair> pairs =
        List.of(
            new PreferencePair("P", "a", "b", 0), new PreferencePair("<u>", "c$", "d$", 0, true));
    List<DpoPair> out = DpoPair.tokenize(pairs, encoder(true), encoder(false), 2, 100);
    assertEquals(2, out.size());
    assertArrayEquals(new long[] {1, 'P'}, out.get(0).prompt());
    assertArrayEquals(new long[] {1, 'a', 2}, out.get(0).chosen());
    assertArrayEquals(new long[] {'<', 'u', '>'}, out.get(1).prompt());
    assertArrayEquals(new long[] {'c', '$', 2}, out.get(1).chosen());
    assertArrayEquals(new long[] {'d', '$', 2}, out.get(1).rejected());
    // the four-argument form encodes every pair as before
    assertEquals(
        DpoPair.tokenize(pairs, encoder(true), encoder(true), 2, 100),
        DpoPair.tokenize(pairs, encoder(true), 2, 100));
  }
}
