package rlhf4j.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.TokenLogProbs;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.rollout.sampling.LogitsProcessor;
import rlhf4j.rollout.sampling.SamplingConfig;
import rlhf4j.testing.Fixtures;

class GeneratorTest {
  private static final List<long[]> PROMPTS =
      List.of(
          new long[] {5, 6, 7},
          new long[] {11, 12, 13, 14, 15, 16, 17},
          new long[] {30, 31, 32, 33, 34});

  private static GenerationConfig.Builder config(boolean greedy, double temperature, long seed) {
    return GenerationConfig.builder()
        .maxNewTokens(12)
        .padTokenId(0)
        .sampling(
            SamplingConfig.builder().greedy(greedy).temperature(temperature).seed(seed).build());
  }

  @ParameterizedTest
  @ValueSource(strings = {"nano", "tiny-llama", "tiny-neox"})
  void cacheEqualsNoCacheTokenForTokenUnderGreedyWithLeftPadding(String preset) {
    try (CausalLM model = Presets.create(preset, 5)) {
      Rollout cached = new Generator(model, config(true, 1, 0).build()).generate(PROMPTS);
      Rollout full =
          new Generator(model, config(true, 1, 0).useCache(false).build()).generate(PROMPTS);
      for (int i = 0; i < PROMPTS.size(); i++) {
        assertArrayEquals(full.responses().get(i), cached.responses().get(i), preset + " row " + i);
        assertEquals(12, cached.responses().get(i).length);
        float[] a = cached.logProbs().get(i);
        float[] b = full.logProbs().get(i);
        for (int t = 0; t < a.length; t++) {
          assertEquals(b[t], a[t], 1e-5, "logprob row " + i + " t " + t);
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"nano", "tiny-llama", "tiny-neox"})
  void recordedLogProbsAndValuesEqualAFullForwardRecomputation(String preset) {
    double temperature = 0.7;
    try (CausalLM model = Presets.create(preset, 9);
        NDManager m = NDManager.newBaseManager();
        ValueHead head = ValueHead.create(m, model.config().hiddenSize(), false, 3)) {
      Rollout r =
          new Generator(model, config(false, temperature, 42).build(), head, null, List.of())
              .generate(PROMPTS);
      double maxErr = 0;
      for (int i = 0; i < r.size(); i++) {
        long[] q = r.queries().get(i);
        long[] resp = r.responses().get(i);
        long[] all = new long[q.length + resp.length];
        System.arraycopy(q, 0, all, 0, q.length);
        System.arraycopy(resp, 0, all, q.length, resp.length);
        NDArray ids = m.create(all, new Shape(1, all.length));
        CausalLM.Output out = model.forward(ids, null, null, false, true);
        float[] lp = TokenLogProbs.nextTokens(out.logits(), ids, temperature).toFloatArray();
        float[] v = head.forward(out.hidden()).toFloatArray();
        for (int t = 0; t < resp.length; t++) {
          maxErr = Math.max(maxErr, Math.abs(lp[q.length - 1 + t] - r.logProbs().get(i)[t]));
          maxErr = Math.max(maxErr, Math.abs(v[q.length - 1 + t] - r.values().get(i)[t]));
        }
      }
      assertTrue(maxErr < 1e-5, preset + ": max |recorded - recomputed| = " + maxErr);
    }
  }

  @Test
  void sameSeedGivesSameTokensAndAnotherSeedDifferentOnes() {
    try (CausalLM model = Presets.create("nano", 1)) {
      Rollout a = new Generator(model, config(false, 1, 7).build()).generate(PROMPTS);
      Rollout b = new Generator(model, config(false, 1, 7).build()).generate(PROMPTS);
      Rollout c = new Generator(model, config(false, 1, 8).build()).generate(PROMPTS);
      boolean anyDifferent = false;
      for (int i = 0; i < PROMPTS.size(); i++) {
        assertArrayEquals(a.responses().get(i), b.responses().get(i));
        anyDifferent |= !Arrays.equals(a.responses().get(i), c.responses().get(i));
      }
      assertTrue(anyDifferent, "a different seed should change some sampled token");
    }
  }

  @Test
  void eosEndsOnlyItsRow() {
    long eos = 99;
    // force EOS right after any sequence whose last token is 7 (only the first prompt)
    LogitsProcessor forceEosAfter7 =
        (logits, previous) -> {
          if (previous[previous.length - 1] == 7) {
            Arrays.fill(logits, -1e9);
            logits[(int) eos] = 0;
          } else {
            logits[(int) eos] = -1e9;
          }
        };
    try (CausalLM model = Presets.create("nano", 2)) {
      GenerationConfig cfg = config(false, 1, 3).eosTokenId(eos).build();
      Rollout r = new Generator(model, cfg, null, null, List.of(forceEosAfter7)).generate(PROMPTS);
      assertArrayEquals(new long[] {eos}, r.responses().get(0));
      assertTrue(r.endedWithEos()[0]);
      assertEquals(1, r.logProbs().get(0).length);
      assertEquals(12, r.responses().get(1).length);
      assertFalse(r.endedWithEos()[1]);
    }
  }

  @Test
  void stopStringEndsTheRowAtTheTokenThatCompletesIt() throws URISyntaxException {
    // byte-level tokenizer: ids 0..255 are bytes; script the output "ab.cd..."
    String script = "ab.cdefghijkl";
    LogitsProcessor scripted =
        (logits, previous) -> {
          int generated = previous.length - 1; // prompts here have one token
          Arrays.fill(logits, -1e9);
          logits[script.charAt(generated)] = 0;
        };
    Path dir = Fixtures.path("hf/gpt2-tiny");
    try (CausalLM model = Presets.create("nano", 2);
        Tokenizer tok = Tokenizer.load(dir)) {
      GenerationConfig cfg = config(false, 1, 3).stopStrings(List.of(".")).build();
      Rollout r =
          new Generator(model, cfg, null, tok, List.of(scripted))
              .generate(List.of(new long[] {65}, new long[] {66}));
      assertEquals("ab.", r.texts().get(0));
      assertEquals(3, r.responses().get(0).length);
    }
  }

  @Test
  void streamingListenerSeesEveryTokenInOrder() {
    try (CausalLM model = Presets.create("nano", 4)) {
      StringBuilder seen = new StringBuilder();
      Rollout r =
          new Generator(model, config(false, 1, 3).build())
              .generate(List.of(new long[] {1, 2}), (row, id) -> seen.append(id).append(','));
      StringBuilder expected = new StringBuilder();
      for (long id : r.responses().get(0)) {
        expected.append(id).append(',');
      }
      assertEquals(expected.toString(), seen.toString());
    }
  }

  @Test
  void generationOnAFreshThreadBuildsNoGraphAndLeaksNoArrays() throws Exception {
    try (CausalLM model = Presets.create("nano", 6)) {
      model.setBaseTrainable(true); // a graph would be recorded if grad mode were on
      Generator g = new Generator(model, config(false, 1, 3).maxNewTokens(4).build());
      g.generate(PROMPTS); // warm-up
      BaseNDManager system =
          (BaseNDManager) Engine.getInstance().newBaseManager().getParentManager();
      int before = system.getManagedArrays().size();
      int modelBefore = ((BaseNDManager) model.manager()).getManagedArrays().size();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread worker =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < 200; i++) {
                    g.generate(PROMPTS);
                  }
                } catch (Throwable t) {
                  failure.set(t);
                }
              });
      worker.start();
      worker.join();
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      assertEquals(modelBefore, ((BaseNDManager) model.manager()).getManagedArrays().size());
      assertEquals(before, system.getManagedArrays().size());
    }
  }
}
