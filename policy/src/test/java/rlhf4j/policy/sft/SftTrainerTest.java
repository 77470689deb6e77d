package rlhf4j.policy.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.optim.LrScheduleType;
import rlhf4j.policy.tokenizer.BpeTrainer;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.policy.train.Seeds;

class SftTrainerTest {
  private static final String PRESET = "nano"; // GPT-2, V=512, D=32, 2 layers

  static List<SftExample> randomSequences(int n, int length, long seed) {
    Random rng = new Random(seed);
    List<SftExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long[] ids = new long[length];
      for (int j = 0; j < length; j++) {
        ids[j] = rng.nextInt(512);
      }
      out.add(SftExample.of(ids));
    }
    return out;
  }

  private static Map<String, float[]> snapshot(CausalLM model) {
    Map<String, float[]> out = new LinkedHashMap<>();
    model.parameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  /** Weighted CE of each example forwarded alone (no padding), summed over the set, in Java. */
  private static double oracleLoss(
      CausalLM model, List<SftExample> examples, boolean completionOnly) {
    double num = 0;
    double den = 0;
    int v = model.config().vocabSize();
    try (NoGrad g = NoGrad.enter();
        NDManager m = NDManager.newBaseManager()) {
      for (SftExample e : examples) {
        long[] ids = e.ids();
        int t = ids.length;
        float[] logits =
            model.forward(m.create(ids, new Shape(1, t)), null).logits().toFloatArray();
        for (int j = 0; j < t - 1; j++) {
          double w = completionOnly && j + 1 < e.prompt().length ? 0 : 1;
          double max = Double.NEGATIVE_INFINITY;
          for (int k = 0; k < v; k++) {
            max = Math.max(max, logits[j * v + k]);
          }
          double sumExp = 0;
          for (int k = 0; k < v; k++) {
            sumExp += Math.exp(logits[j * v + k] - max);
          }
          num += w * (logits[j * v + (int) ids[j + 1]] - max - Math.log(sumExp));
          den += w;
        }
      }
    }
    return -num / den;
  }

  private static List<SftExample> mixedExamples() {
    return List.of(
        SftExample.of(new long[] {3, 17, 42, 99}, new long[] {7, 8, 300}),
        SftExample.of(new long[] {11, 12, 13, 14, 15, 16, 17, 18, 19}),
        SftExample.of(new long[] {500}, new long[] {1, 2}));
  }

  @Test
  void firstStepLossEqualsPlainJavaOracleOverUnpaddedExamples() {
    for (boolean completionOnly : new boolean[] {true, false}) {
      try (CausalLM model = Presets.create(PRESET, 3)) {
        double expected = oracleLoss(model, mixedExamples(), completionOnly);
        SftConfig config =
            SftConfig.builder()
                .batchSize(3)
                .maxSteps(1)
                .learningRate(1e-3)
                .completionOnlyLoss(completionOnly)
                .build();
        SftSummary s = new SftTrainer(model, config).train(mixedExamples());
        assertEquals(expected, s.firstLoss(), 1e-5 * expected, "completionOnly=" + completionOnly);
        assertEquals(1, s.steps());
        assertEquals(4 + 3 + 9 + 1 + 2, s.tokens());
      }
    }
  }

  @Test
  void completionOnlyLossDiffersFromFullSequenceLoss() {
    double[] first = new double[2];
    for (int i = 0; i < 2; i++) {
      try (CausalLM model = Presets.create(PRESET, 3)) {
        SftConfig config =
            SftConfig.builder().batchSize(3).maxSteps(1).completionOnlyLoss(i == 0).build();
        first[i] = new SftTrainer(model, config).train(mixedExamples()).firstLoss();
      }
    }
    assertNotEquals(first[0], first[1], 1e-4);
  }

  @Test
  void nanoModelMemorisesATinyCorpus() {
    List<SftExample> corpus = randomSequences(4, 16, 11);
    List<double[]> curve = new ArrayList<>();
    try (CausalLM model = Presets.create(PRESET, 5)) {
      SftConfig config =
          SftConfig.builder()
              .learningRate(1e-2)
              .scheduler(LrScheduleType.CONSTANT)
              .batchSize(4)
              .maxSteps(60)
              .logEvery(10)
              .build();
      SftSummary s =
          new SftTrainer(model, config)
              .train(corpus, (step, loss, lr, tps) -> curve.add(new double[] {step, loss}));
      StringBuilder sb = new StringBuilder("nano memorisation curve:");
      curve.forEach(p -> sb.append(String.format(" %d:%.3f", (long) p[0], p[1])));
      System.out.println(
          sb + String.format(" first %.4f final %.4f", s.firstLoss(), s.finalLoss()));
      assertEquals(Math.log(512), s.firstLoss(), 0.1, "random init predicts ~uniformly");
      assertTrue(s.finalLoss() < 0.5, "final loss " + s.finalLoss());
      assertEquals(6, curve.size());
      assertEquals(60, (long) curve.get(5)[0]);
    }
  }

  @Test
  void trainingIsBitwiseDeterministicForAFixedSeed() {
    List<SftExample> data = randomSequences(6, 12, 21);
    Map<String, float[]>[] results = runTwice(data, 7, 7);
    for (String name : results[0].keySet()) {
      assertArrayEquals(results[0].get(name), results[1].get(name), name);
    }
    // a different shuffling seed changes the batches, so the weights
    Map<String, float[]>[] other = runTwice(data, 7, 8);
    String name = "transformer.wte.weight";
    assertFalse(Arrays.equals(other[0].get(name), other[1].get(name)));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, float[]>[] runTwice(List<SftExample> data, long seedA, long seedB) {
    Map<String, float[]>[] out = new Map[2];
    long[] seeds = {seedA, seedB};
    for (int i = 0; i < 2; i++) {
      try (CausalLM model = Presets.create(PRESET, 1)) {
        SftConfig config =
            SftConfig.builder()
                .learningRate(1e-3)
                .batchSize(2)
                .epochs(2)
                .warmupRatio(0.2)
                .weightDecay(0.01)
                .seed(seeds[i])
                .build();
        new SftTrainer(model, config).train(data);
        out[i] = snapshot(model);
      }
    }
    return out;
  }

  @Test
  void onlyTheGivenTrainableArraysChange() {
    try (CausalLM model = Presets.create(PRESET, 2)) {
      Map<String, float[]> before = snapshot(model);
      Map<String, NDArray> trainable = new LinkedHashMap<>();
      for (String name :
          List.of("transformer.h.1.mlp.c_fc.weight", "transformer.h.1.mlp.c_fc.bias")) {
        trainable.put(name, model.parameters().get(name));
      }
      SftConfig config = SftConfig.builder().learningRate(1e-3).batchSize(2).maxSteps(3).build();
      new SftTrainer(model, config).train(randomSequences(4, 10, 4), trainable, SftListener.none());
      Map<String, float[]> after = snapshot(model);
      for (String name : before.keySet()) {
        boolean same = Arrays.equals(before.get(name), after.get(name));
        assertEquals(!trainable.containsKey(name), same, name);
      }
      assertFalse(model.parameters().get("transformer.h.0.mlp.c_fc.weight").hasGradient());
    }
  }

  @Test
  void divergenceIsRaisedBeforeTheOptimizerStepSoWeightsStayUnchanged() {
    try (CausalLM model = Presets.create(PRESET, 2)) {
      String poisoned = "transformer.ln_f.bias";
      model.parameters().get(poisoned).muli(Float.NaN); // every forward now gives a NaN loss
      Map<String, NDArray> trainable = new LinkedHashMap<>(model.parameters());
      trainable.remove(poisoned);
      Map<String, float[]> before = snapshot(model);
      SftConfig config = SftConfig.builder().learningRate(1e-3).batchSize(2).maxSteps(3).build();
      DivergenceException e =
          assertThrows(
              DivergenceException.class,
              () ->
                  new SftTrainer(model, config)
                      .train(randomSequences(4, 10, 4), trainable, SftListener.none()));
      assertTrue(e.getMessage().contains("step 1"), e.getMessage());
      Map<String, float[]> after = snapshot(model);
      for (String name : before.keySet()) {
        assertArrayEquals(before.get(name), after.get(name), name);
      }
    }
  }

  @Test
  void epochOrderFollowsTheSharedSeedScheme() {
    // two epochs of one-row batches: the rows are visited in Seeds' per-epoch permutations
    try (CausalLM model = Presets.create(PRESET, 2)) {
      List<SftExample> examples = randomSequences(5, 6, 9);
      List<Double> losses = new ArrayList<>();
      SftConfig config =
          SftConfig.builder().learningRate(1e-9).batchSize(1).epochs(2).logEvery(1).seed(7).build();
      new SftTrainer(model, config).train(examples, (step, loss, lr, tps) -> losses.add(loss));
      for (int epoch = 0; epoch < 2; epoch++) {
        int[] order = Seeds.permutation(5, Seeds.rng(7, epoch, Seeds.DATA_ORDER));
        for (int k = 0; k < 5; k++) {
          double expected = oracleLoss(model, List.of(examples.get(order[k])), true);
          assertEquals(expected, losses.get(epoch * 5 + k), 1e-4, "epoch " + epoch + " row " + k);
        }
      }
    }
  }

  @Test
  void fiftyStepsLeaveTheModelManagerUnchanged() {
    try (CausalLM model = Presets.create(PRESET, 6)) {
      int before = model.manager().getManagedArrays().size();
      int params = model.parameters().size();
      Map<Long, Integer> during = new LinkedHashMap<>();
      SftConfig config =
          SftConfig.builder().learningRate(1e-3).batchSize(2).maxSteps(50).logEvery(1).build();
      new SftTrainer(model, config)
          .train(
              randomSequences(5, 9, 8),
              (step, loss, lr, tps) -> during.put(step, model.manager().getManagedArrays().size()));
      assertEquals(before + 2 * params, during.get(1L), "parameters plus AdamW m and v");
      assertEquals(during.get(1L), during.get(50L));
      assertEquals(before, model.manager().getManagedArrays().size());
    }
  }

  @Test
  void packedTrainingRunsOnFullRows() {
    try (CausalLM model = Presets.create(PRESET, 2)) {
      SftConfig config =
          SftConfig.builder()
              .packing(true)
              .maxLength(16)
              .batchSize(2)
              .epochs(1)
              .learningRate(1e-3)
              .build();
      // 5 × 9 = 45 tokens → rows of 16, 16, 13
      SftSummary s = new SftTrainer(model, config).train(randomSequences(5, 9, 3));
      assertEquals(2, s.steps());
      assertEquals(45, s.tokens());
    }
  }

  @Test
  void badExamplesAreRejectedNamingTheExample() {
    try (CausalLM model = Presets.create(PRESET, 2)) {
      SftConfig config = SftConfig.builder().maxLength(4).build();
      SftTrainer trainer = new SftTrainer(model, config);
      List<SftExample> promptTooLong =
          List.of(
              SftExample.of(new long[] {1, 2}),
              SftExample.of(new long[] {1, 2, 3, 4}, new long[] {5}));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> trainer.train(promptTooLong));
      assertTrue(e.getMessage().startsWith("example 1 has no target token"), e.getMessage());
      List<SftExample> outOfVocab = List.of(SftExample.of(new long[] {1, 512}));
      e = assertThrows(IllegalArgumentException.class, () -> trainer.train(outOfVocab));
      assertTrue(e.getMessage().contains("512 outside the vocabulary"), e.getMessage());
      SftTrainer long128 = new SftTrainer(model, SftConfig.builder().maxLength(200).build());
      List<SftExample> tooLong = randomSequences(1, 130, 1);
      e = assertThrows(IllegalArgumentException.class, () -> long128.train(tooLong));
      assertTrue(e.getMessage().contains("maxLength <= 128"), e.getMessage());
    }
  }

  @Test
  void textsGetEosAppendedOnce(@TempDir Path dir) throws IOException {
    List<String> corpus = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      corpus.add("the film was " + (i % 2 == 0 ? "good" : "bad") + " .");
    }
    BpeTrainer.builder().vocabSize(300).build().train(corpus).writeTo(dir);
    try (Tokenizer tok = Tokenizer.load(dir)) {
      long[] plain = tok.encode("the film was good .");
      SftExample e = SftExample.fromText(tok, "the film was good .");
      assertEquals(plain.length + 1, e.ids().length);
      assertEquals(tok.eosId(), e.ids()[plain.length]);
      SftExample again = SftExample.fromText(tok, "the film was good .<|endoftext|>");
      assertEquals(e, again, "an EOS already there is not doubled");
      SftExample pair = SftExample.fromPromptCompletion(tok, "the film was", " good .");
      assertArrayEquals(tok.encode("the film was"), pair.prompt());
      assertEquals(tok.eosId(), pair.completion()[pair.completion().length - 1]);
    }
  }
}
