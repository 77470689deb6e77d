package rlhf4j.policy.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import rlhf4j.testing.Fixtures;

class TokenizerTest {
  @Test
  void roundTripsTextAndReadsSpecialTokensFromTokenizerConfig() {
    try (Tokenizer tok = Tokenizer.load(Fixtures.path("hf/gpt2-tiny"))) {
      String text = "Hello the world, héllo 🤖 tab\there!";
      assertEquals(text, tok.decode(tok.encode(text), false));
      assertEquals(261, tok.eosId());
      assertEquals(261, tok.bosId());
      assertEquals(-1, tok.padId());
      assertEquals(258, tok.tokenId("Ġthe"));
    }
  }

  @Test
  void longTextIsNotSilentlyTruncatedTo512Tokens() {
    try (Tokenizer tok = Tokenizer.load(Fixtures.path("hf/gpt2-tiny"))) {
      String text = "abcdefgh ".repeat(300); // ~2,700 byte-level tokens
      long[] ids = tok.encode(text);
      assertTrue(ids.length > 2000, "got " + ids.length + " ids");
      assertEquals(text, tok.decode(ids, false));
    }
  }
}
