package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.testing.Fixtures;

/** The EOS the trainers end completions with: the tokenizer's first, as TRL takes it. */
class TrainingEosTest {
  @Test
  void theTokenizersEosWinsOverTheModelConfigs() {
    // gpt2-tiny's config.json says eos_token_id 0; its tokenizer's eos_token is id 261
    try (CausalLM model = HfCheckpoint.load(Fixtures.path("hf/gpt2-tiny"));
        Tokenizer tok = Tokenizer.load(Fixtures.path("hf/gpt2-tiny"))) {
      assertEquals(0, model.config().eosTokenId());
      assertEquals(261, tok.eosId());
      assertEquals(261, PpoCommand.trainingEos(model, tok));
      assertEquals(0, PpoCommand.trainingEos(model, null));
      GenerationConfig g =
          PpoCommand.generation(new PpoRunConfig.Generation(8, null, null, null), 1.0, model, tok);
      assertEquals(261, g.eosTokenId());
      GenerationConfig set =
          PpoCommand.generation(new PpoRunConfig.Generation(8, 5L, null, null), 1.0, model, tok);
      assertEquals(5, set.eosTokenId());
    }
  }

  @Test
  void aTokenizerWhoseEosTheModelCannotEmitIsRefusedByName() {
    // a 200-id model with gpt2-tiny's tokenizer, whose eos_token is id 261
    try (CausalLM model = CausalLM.random(Presets.gpt2(200, 32, 1, 2, 64), 0);
        Tokenizer tok = Tokenizer.load(Fixtures.path("hf/gpt2-tiny"))) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  PpoCommand.generation(
                      new PpoRunConfig.Generation(8, null, null, null), 1.0, model, tok));
      assertTrue(
          e.getMessage().contains("tokenizer's eos_token (id 261)")
              && e.getMessage().contains("[0, 200)"),
          e.getMessage());
    }
  }
}
