package rlhf4j.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.rollout.sampling.SamplingConfig;
import rlhf4j.testing.Fixtures;

/**
 * Greedy decoding with the KV cache gives the tokens and log-probs of transformers' forward
 * recomputing the whole sequence every step, and the tokens of transformers' {@code generate} where
 * that is consistent with it, with left-padded prompts: sliding windows of 3 (Gemma 3, Mistral) and
 * Phi-3's LongRoPE, where row 0 grows from 12 to 22 positions across the original length 16. There
 * rlhf4j recomputes its cache, as {@code Phi3ForCausalLM .prepare_inputs_for_generation} means to;
 * transformers 5.17's {@code generate} drops its cache but feeds only the newest token, so from
 * that step on it predicts from a context of one token (the goldens record where it parts: {@code
 * generate_agrees_for}). Goldens: {@code tools/fixtures/make_family_goldens.py}.
 */
class GeneratorHfParityTest {
  private static final double TOLERANCE = 1e-4;

  @ParameterizedTest
  @ValueSource(
      strings = {"phi3-tiny", "gemma3-tiny", "mistral-window-tiny", "qwen3-tiny", "llama32-tiny"})
  void greedyTokensAndLogProbsMatchTransformersGenerate(String name) throws Exception {
    JsonObject golden =
        JsonParser.parseString(
                Files.readString(Fixtures.path("hf/logits/" + name + ".greedy.json")))
            .getAsJsonObject();
    List<long[]> prompts = List.of(Fixtures.longRows(golden.getAsJsonArray("prompts")));
    List<long[]> tokens = List.of(Fixtures.longRows(golden.getAsJsonArray("tokens")));
    JsonArray logprobs = golden.getAsJsonArray("logprobs");
    GenerationConfig config =
        GenerationConfig.builder()
            .maxNewTokens(tokens.get(0).length)
            .padTokenId(0)
            .eosTokenId(-1)
            .sampling(SamplingConfig.builder().greedy(true).build())
            .build();
    try (CausalLM model = HfCheckpoint.load(Fixtures.path("hf/" + name))) {
      Rollout r = new Generator(model, config).generate(prompts);
      List<long[]> generated = List.of(Fixtures.longRows(golden.getAsJsonArray("generate_tokens")));
      int agree = golden.get("generate_agrees_for").getAsInt();
      double err = 0;
      for (int i = 0; i < prompts.size(); i++) {
        assertArrayEquals(tokens.get(i), r.responses().get(i), name + " row " + i);
        assertArrayEquals(
            Arrays.copyOf(generated.get(i), agree),
            Arrays.copyOf(r.responses().get(i), agree),
            name + " row " + i + " against generate()");
        float[] lp = r.logProbs().get(i);
        for (int t = 0; t < lp.length; t++) {
          err =
              Math.max(
                  err, Math.abs(lp[t] - logprobs.get(i).getAsJsonArray().get(t).getAsDouble()));
        }
      }
      System.out.printf(
          "generate %s: tokens equal (generate() agrees for %d), max |logprob err| %.3g%n",
          name, agree, err);
      assertTrue(err < TOLERANCE, name + " logprob error " + err);
      assertTrue(agree >= (name.equals("phi3-tiny") ? 5 : 10), name + " agrees for " + agree);
    }
  }
}
