package rlhf4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import rlhf4j.policy.family.Architectures;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.memory.ProcessMemory;
import rlhf4j.policy.quant.BaseDtype;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.policy.train.NativeMemory;

/**
 * A quantised base's backward keeps no float32 weight copy alive from the forward to the backward
 * ({@link QuantizedLinearTape}) and gives the gradients of plain backprop through one graph.
 */
class QuantizedBackwardTest {
  private static final double TOL = 1e-6;
  private static final int QUERY = 3;

  private static final LoraConfig LORA =
      LoraConfig.builder()
          .r(4)
          .loraAlpha(8)
          .allLinear()
          .initLoraWeights(LoraConfig.InitLoraWeights.RANDOM) // B ≠ 0: A gets gradients too
          .build();

  /** The three ways to backpropagate. */
  private enum Path {
    ONE_GRAPH,
    STAGED,
    CHECKPOINTED
  }

  /** A PPO-shaped loss: response log-probs, a value head, and a squared value error. */
  private static LossHead loss(CausalLM model, ValueHead valueHead, NDArray ids) {
    return hidden -> {
      CausalLM.Output out = model.responseOutput(hidden, QUERY, true); // (B, T, ·)
      NDArray responses = ids.get(":, " + QUERY + ":"); // (B, T)
      NDArray logProbs = TokenLogProbs.gather(out.logits(), responses, 1.0); // (B, T)
      NDArray values = valueHead.forward(out.hidden()); // (B, T)
      NDArray loss = logProbs.mean().neg().add(values.sub(0.5f).square().mean().mul(0.1f));
      return new NDList(loss, values);
    };
  }

  private static NDList backward(
      CausalLM model, NDArray ids, NDArray mask, Path path, LossHead head) {
    switch (path) {
      case ONE_GRAPH:
        long seed = CheckpointedBackward.drawSeed(ids.getManager());
        return CheckpointedBackward.oneGraph(model, ids, mask, true, seed, head);
      case STAGED:
        return model.backward(ids, mask, true, false, head);
      default:
        return model.backward(ids, mask, true, true, head);
    }
  }

  /** The loss (key "loss") and the gradients of {@code params} after one backward. */
  private static Map<String, float[]> lossAndGrads(
      CausalLM model, ValueHead vh, Map<String, NDArray> params, Path path) {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope()) {
      NDArray ids =
          m.create(
              new long[] {5, 17, 42, 99, 250, 3, 7, 128, 1, 2, 3, 4, 5, 6, 7, 8}, new Shape(2, 8));
      NDArray mask =
          m.create(new long[] {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, new Shape(2, 8));
      Engine.getInstance().setRandomSeed(11); // same dropout masks on every path
      NDList r = backward(model, ids, mask, path, loss(model, vh, ids));
      out.put("loss", new float[] {r.get(0).getFloat()});
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        NDArray g = e.getValue().getGradient();
        out.put(e.getKey(), g.toFloatArray());
        g.subi(g);
      }
    }
    return out;
  }

  private static void assertClose(Map<String, float[]> a, Map<String, float[]> b, String what) {
    assertEquals(a.keySet(), b.keySet());
    double maxGrad = 0;
    for (String k : a.keySet()) {
      float[] x = a.get(k);
      float[] y = b.get(k);
      for (int i = 0; i < x.length; i++) {
        if (!k.equals("loss")) {
          maxGrad = Math.max(maxGrad, Math.abs(x[i]));
        }
        if (Math.abs(x[i] - y[i]) > TOL * (1 + Math.abs(x[i]))) { // float32 sums in another order
          throw new AssertionError(what + ": " + k + "[" + i + "] " + x[i] + " vs " + y[i]);
        }
      }
    }
    assertTrue(maxGrad > 1e-3, what + ": gradients are not all ~0 (max " + maxGrad + ")");
  }

  @ParameterizedTest
  @CsvSource({
    "nano, int8, 0, false",
    "nano, int8, 0, true",
    "tiny-llama, int8, 0, false",
    "tiny-llama, int8, 16, false",
    "tiny-llama, int8, 16, true",
    "tiny-llama, fp16, 0, true",
    "tiny-llama, fp16, 0, false",
    "tiny-qwen3, int8, 0, false",
    "tiny-qwen3, int8, 0, true",
    "tiny-neox, int8, 0, false",
    "tiny-neox, int8, 0, true",
    "tiny-phi3, int8, 0, false",
    "tiny-gemma3, int8, 0, false",
    "tiny-gemma3, int8, 0, true"
  })
  void lossAndAdapterGradientsEqualBackpropThroughOneGraph(
      String preset, String dtype, int blockSize, boolean embeddings) {
    QuantConfig quant = new QuantConfig(BaseDtype.parse(dtype), blockSize, embeddings);
    try (CausalLM model = CausalLM.random(Presets.config(preset), 1, quant);
        LoraModel lora = LoraModel.inject(model, LORA.toBuilder().loraDropout(0.1).build(), 2);
        ValueHead vh = ValueHead.create(model.manager(), model.config().hiddenSize(), false, 3)) {
      vh.setTrainable(true);
      Map<String, NDArray> params = new LinkedHashMap<>(lora.trainableParameters());
      params.putAll(vh.parameters());
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray ids = m.zeros(new Shape(2, 8), ai.djl.ndarray.types.DataType.INT64);
        assertTrue(CheckpointedBackward.taped(model, ids), "the batch goes through the tape");
      }
      Map<String, float[]> oneGraph = lossAndGrads(model, vh, params, Path.ONE_GRAPH);
      assertEquals(embeddings, model.lmHead().isQuantized());
      String what = preset + " " + dtype + "/" + blockSize + (embeddings ? " with the head" : "");
      assertClose(oneGraph, lossAndGrads(model, vh, params, Path.STAGED), what + " staged");
      assertClose(
          oneGraph, lossAndGrads(model, vh, params, Path.CHECKPOINTED), what + " checkpointed");
    }
  }

  @Test
  void theTapeRecordsQuantisedLayersUnderAutogradOnlyAndKeepsTheirValues() {
    try (CausalLM model =
            CausalLM.random(Presets.config("tiny-llama"), 1, QuantConfig.of(BaseDtype.INT8));
        NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope()) {
      Linear q = model.linears().get(0);
      NDArray x = m.randomNormal(new Shape(2, 3, q.inFeatures()));
      x.setRequiresGradient(true);
      NDArray expected;
      try (NoGrad ng = NoGrad.enter()) {
        expected = q.quantizedWeight().linear(x, q.bias());
      }
      try (QuantizedLinearTape tape = QuantizedLinearTape.open();
          GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        try (NoGrad ng = NoGrad.enter()) {
          q.forward(x, true);
        }
        assertEquals(0, tape.size(), "no graph, nothing to record");
        NDArray y = q.forward(x, true);
        assertEquals(1, tape.size());
        assertEquals(0f, y.sub(expected).abs().max().getFloat(), 0f, "same forward values");
        // the input gradient comes from the replay: g·Ŵ
        NDArray g = m.randomNormal(y.getShape());
        ai.djl.pytorch.jni.JniUtils.backward(
            (ai.djl.pytorch.engine.PtNDArray) y, (ai.djl.pytorch.engine.PtNDArray) g, true, false);
        tape.replay();
        NDArray w = q.dequantizedWeight(); // (out, in)
        NDArray want = g.matMul(w); // (2, 3, in)
        assertEquals(0f, x.getGradient().sub(want).abs().max().getFloat(), 1e-5f);
      }
    }
  }

  @Test
  void theTapeIsUsedOnlyWhereItsInputsWeighLessThanTheCopies() {
    try (CausalLM int8 =
            CausalLM.random(Presets.config("tiny-llama"), 1, QuantConfig.of(BaseDtype.INT8));
        CausalLM fp32 = Presets.create("tiny-llama", 1);
        NDManager m = NDManager.newBaseManager()) {
      // tiny-llama per block: Σ in·out = 2·64·64 + 2·64·32 + 3·64·128 = 36864, Σ in = 6·64 + 128
      NDArray few = m.zeros(new Shape(2, 35), ai.djl.ndarray.types.DataType.INT64); // 70 tokens
      NDArray many = m.zeros(new Shape(2, 37), ai.djl.ndarray.types.DataType.INT64); // 74 tokens
      assertTrue(CheckpointedBackward.taped(int8, few), "70 · 512 < 36864");
      assertTrue(!CheckpointedBackward.taped(int8, many), "74 · 512 > 36864");
      assertTrue(!CheckpointedBackward.taped(fp32, few), "a float32 base has no copies");
    }
  }

  /**
   * Counts native bytes: with glibc returning every freed block of 64 KiB or more to the kernel,
   * the resident set's growth during a backward is the memory live at its peak. Backprop through
   * one graph holds the float32 copy of nearly every quantised weight until the backward; the
   * staged and the checkpointed backward hold at most about one layer's copy at a time.
   */
  @Test
  void noFloat32WeightCopyWaitsInTheGraphForTheBackward() {
    assumeResidentSetFollowsFrees();
    ModelConfig config = llama512(256, 4, 2048).build();
    try (CausalLM model = CausalLM.random(config, 1, QuantConfig.of(BaseDtype.INT8));
        LoraModel lora = LoraModel.inject(model, QV_LORA, 2)) {
      long copies = 0; // bytes of a float32 copy of every quantised weight
      for (Linear l : model.linears()) {
        copies += l.inFeatures() * l.outFeatures() * 4;
      }
      Map<Path, Long> extra = new LinkedHashMap<>();
      for (int round = 0; round < 2; round++) { // the first round warms up allocator and JIT
        for (Path path : Path.values()) {
          extra.put(path, peakGrowthOfBackward(model, path));
        }
      }
      String seen = "growth " + extra + " bytes; all float32 copies " + copies;
      System.out.println("native growth during the backward: " + seen);
      assertTrue(extra.get(Path.ONE_GRAPH) > 0.6 * copies, "one graph holds the copies: " + seen);
      assertTrue(extra.get(Path.STAGED) < 0.25 * copies, "staged: " + seen);
      assertTrue(extra.get(Path.CHECKPOINTED) < 0.25 * copies, "checkpointed: " + seen);
    }
  }

  /**
   * The same for a quantised LM head (a large vocabulary over small blocks, as Qwen3's 151,936-row
   * tied head): the staged and checkpointed backward tape it at the top, and a forward without a
   * graph widens it a slice at a time.
   */
  @Test
  void noFloat32CopyOfAQuantisedHeadWaitsInTheGraphOrIsMadeWhole() {
    assumeResidentSetFollowsFrees();
    ModelConfig config = llama512(16384, 2, 512).tieWordEmbeddings(true).build();
    QuantConfig quant = new QuantConfig(BaseDtype.INT8, QuantConfig.PER_CHANNEL, true);
    try (CausalLM model = CausalLM.random(config, 1, quant);
        LoraModel lora = LoraModel.inject(model, QV_LORA, 2)) {
      assertTrue(model.lmHead().isQuantized());
      long head = 16384L * 512 * 4; // bytes of the head's float32 copy
      Map<String, Long> extra = new LinkedHashMap<>();
      for (int round = 0; round < 2; round++) { // the first round warms up allocator and JIT
        for (Path path : Path.values()) {
          extra.put(path.name(), peakGrowthOfBackward(model, path));
        }
        extra.put("FORWARD", peakGrowthOfForward(model));
      }
      String seen = "growth " + extra + " bytes; the head's float32 copy " + head;
      System.out.println("native growth with a quantised head: " + seen);
      assertTrue(extra.get("ONE_GRAPH") > 0.6 * head, "one graph holds the copy: " + seen);
      assertTrue(extra.get("STAGED") < 0.25 * head, "staged: " + seen);
      assertTrue(extra.get("CHECKPOINTED") < 0.25 * head, "checkpointed: " + seen);
      assertTrue(extra.get("FORWARD") < 0.25 * head, "forward without a graph: " + seen);
    }
  }

  /** LoRA on q and v with B ≠ 0, for the memory tests. */
  private static final LoraConfig QV_LORA =
      LoraConfig.builder()
          .r(4)
          .loraAlpha(8)
          .targetModules(List.of("q_proj", "v_proj"))
          .initLoraWeights(LoraConfig.InitLoraWeights.RANDOM)
          .build();

  /** A Llama of width 512 with 8 heads, for the memory tests. */
  private static ModelConfig.Builder llama512(int vocab, int layers, int intermediate) {
    return ModelConfig.builder(Architectures.LLAMA)
        .vocabSize(vocab)
        .hiddenSize(512)
        .numLayers(layers)
        .numHeads(8)
        .numKvHeads(8)
        .intermediateSize(intermediate)
        .maxPositions(64);
  }

  /** Skips unless the resident set can measure live native memory (glibc, /proc). */
  private static void assumeResidentSetFollowsFrees() {
    assumeTrue(
        NativeMemory.setMmapThreshold(1 << 16),
        "needs glibc's mallopt to make the resident set follow frees");
    assumeTrue(ProcessMemory.resetPeak(), "needs /proc/self/clear_refs to reset VmHWM");
  }

  private static long peakGrowthOfForward(CausalLM model) {
    try (NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope();
        NoGrad ng = NoGrad.enter()) {
      NDArray ids = m.arange(0, 16, 1, ai.djl.ndarray.types.DataType.INT64).reshape(1, 16);
      System.gc();
      long before = ProcessMemory.rssBytes();
      assertTrue(ProcessMemory.resetPeak());
      model.forward(ids, null).logits().close();
      return ProcessMemory.peakRssBytes() - before;
    }
  }

  private static long peakGrowthOfBackward(CausalLM model, Path path) {
    try (NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope()) {
      NDArray ids = m.arange(0, 16, 1, ai.djl.ndarray.types.DataType.INT64).reshape(1, 16);
      LossHead head =
          hidden ->
              new NDList(
                  TokenLogProbs.nextTokens(model.logits(hidden, false), ids, 1.0).mean().neg());
      System.gc();
      long before = ProcessMemory.rssBytes();
      assertTrue(ProcessMemory.resetPeak());
      backward(model, ids, null, path, head);
      return ProcessMemory.peakRssBytes() - before;
    }
  }
}
