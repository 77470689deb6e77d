package rlhf4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.quant.BaseDtype;
import rlhf4j.policy.quant.QuantConfig;

/**
 * Gradient checkpointing gives the gradients of plain backprop (within 1e-5) on the tiny presets of
 * all three families, for adapters, a value head and full fine-tuning.
 */
class GradientCheckpointingTest {
  private static final double TOL = 1e-5;
  private static final int QUERY = 3;

  private static final LoraConfig LORA =
      LoraConfig.builder()
          .r(4)
          .loraAlpha(8)
          .allLinear()
          .initLoraWeights(LoraConfig.InitLoraWeights.RANDOM) // B ≠ 0: A gets gradients too
          .build();

  /** A PPO-shaped loss: response log-probs, a value head, and a squared value error. */
  private static LossHead loss(CausalLM model, ValueHead valueHead, NDArray ids, boolean training) {
    return hidden -> {
      CausalLM.Output out = model.responseOutput(hidden, QUERY, training); // (B, T, ·)
      NDArray responses = ids.get(":, " + QUERY + ":"); // (B, T)
      NDArray logProbs = TokenLogProbs.gather(out.logits(), responses, 1.0); // (B, T)
      NDArray values = valueHead.forward(out.hidden()); // (B, T)
      NDArray loss = logProbs.mean().neg().add(values.sub(0.5f).square().mean().mul(0.1f));
      return new NDList(loss, values);
    };
  }

  private static NDArray ids(NDManager m) {
    return m.create(
        new long[] {5, 17, 42, 99, 250, 3, 7, 128, 1, 2, 3, 4, 5, 6, 7, 8}, new Shape(2, 8));
  }

  private static NDArray mask(NDManager m) {
    return m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0}, new Shape(2, 8));
  }

  /** Gradients of {@code params} after one backward (classic collector or CausalLM.backward). */
  private static Map<String, float[]> grads(
      CausalLM model,
      ValueHead vh,
      Map<String, NDArray> params,
      int mode, // 0 classic, 1 backward(false), 2 backward(true)
      boolean training,
      int seed) {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope()) {
      NDArray ids = ids(m);
      NDArray mask = mask(m);
      Engine.getInstance().setRandomSeed(seed);
      if (mode == 0) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray hidden = model.forward(ids, mask, null, training, false).hidden();
          gc.backward(loss(model, vh, ids, training).apply(hidden).get(0));
        }
      } else {
        NDList r = model.backward(ids, mask, training, mode == 2, loss(model, vh, ids, training));
        assertEquals(2, r.size());
        assertEquals(new Shape(2, 5), r.get(1).getShape());
      }
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
        maxGrad = Math.max(maxGrad, Math.abs(x[i]));
        if (Math.abs(x[i] - y[i]) > TOL) {
          throw new AssertionError(what + ": " + k + "[" + i + "] " + x[i] + " vs " + y[i]);
        }
      }
    }
    assertTrue(maxGrad > 1e-3, what + ": gradients are not all ~0 (max " + maxGrad + ")");
  }

  private static Map<String, NDArray> withHead(Map<String, NDArray> params, ValueHead vh) {
    Map<String, NDArray> all = new LinkedHashMap<>(params);
    all.putAll(vh.parameters());
    return all;
  }

  @ParameterizedTest
  @ValueSource(strings = {"nano", "tiny-llama", "tiny-neox"})
  void checkpointedGradientsEqualPlainBackpropForAdaptersAndValueHead(String preset) {
    try (CausalLM model = Presets.create(preset, 1);
        LoraModel lora = LoraModel.inject(model, LORA, 2);
        ValueHead vh = ValueHead.create(model.manager(), model.config().hiddenSize(), false, 3)) {
      vh.setTrainable(true);
      Map<String, NDArray> params = withHead(lora.trainableParameters(), vh);
      Map<String, float[]> classic = grads(model, vh, params, 0, false, 0);
      assertClose(classic, grads(model, vh, params, 1, false, 0), preset + " backward(plain)");
      assertClose(classic, grads(model, vh, params, 2, false, 0), preset + " checkpointed");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"nano", "tiny-llama", "tiny-neox"})
  void checkpointedGradientsEqualPlainBackpropForFullFineTuning(String preset) {
    try (CausalLM model = Presets.create(preset, 4);
        ValueHead vh = ValueHead.create(model.manager(), model.config().hiddenSize(), false, 5)) {
      model.setBaseTrainable(true); // embeddings (tied head for nano) train too
      vh.setTrainable(true);
      Map<String, NDArray> params = withHead(model.parameters(), vh);
      Map<String, float[]> classic = grads(model, vh, params, 0, false, 0);
      assertClose(classic, grads(model, vh, params, 2, false, 0), preset + " checkpointed");
    }
  }

  @Test
  void adapterDropoutDrawsTheSameMasksWhenRecomputing() {
    LoraConfig dropout = LORA.toBuilder().loraDropout(0.3).build();
    try (CausalLM model = Presets.create("tiny-llama", 6);
        LoraModel lora = LoraModel.inject(model, dropout, 7);
        ValueHead vh = ValueHead.create(model.manager(), model.config().hiddenSize(), false, 8)) {
      vh.setTrainable(true);
      Map<String, NDArray> params = withHead(lora.trainableParameters(), vh);
      Map<String, float[]> plain = grads(model, vh, params, 1, true, 42);
      assertClose(plain, grads(model, vh, params, 2, true, 42), "dropout, checkpointed");
      Map<String, float[]> other = grads(model, vh, params, 1, true, 43);
      float[] a = plain.values().iterator().next();
      float[] b = other.values().iterator().next();
      assertFalse(java.util.Arrays.equals(a, b), "another seed draws other dropout masks");
    }
  }

  @Test
  void theGeneratorContinuesAlikeAfterEitherMode() {
    // a trainer's next mini-batch draws its masks after this backward: they must not depend on
    // whether the blocks were recomputed (PPO with dropout diverged between the modes before)
    LoraConfig dropout = LORA.toBuilder().loraDropout(0.3).build();
    try (CausalLM model = Presets.create("nano", 6);
        LoraModel lora = LoraModel.inject(model, dropout, 7);
        ValueHead vh = ValueHead.create(model.manager(), model.config().hiddenSize(), false, 8);
        NDManager m = NDManager.newBaseManager()) {
      vh.setTrainable(true);
      Map<String, NDArray> params = withHead(lora.trainableParameters(), vh);
      float[][] next = new float[3][];
      for (int mode = 1; mode <= 2; mode++) {
        grads(model, vh, params, mode, true, 42); // seeds 42, then one backward
        next[mode] = m.randomUniform(0, 1, new Shape(4)).toFloatArray();
      }
      assertArrayEquals(next[1], next[2]);
    }
  }

  @Test
  void checkpointingWorksOnAnInt8Base() {
    try (CausalLM model = Presets.create("tiny-llama", 9)) {
      model.quantizeBase(QuantConfig.of(BaseDtype.INT8));
      try (LoraModel lora = LoraModel.inject(model, LORA, 10);
          ValueHead vh =
              ValueHead.create(model.manager(), model.config().hiddenSize(), false, 11)) {
        vh.setTrainable(true);
        Map<String, NDArray> params = withHead(lora.trainableParameters(), vh);
        assertClose(
            grads(model, vh, params, 0, false, 0),
            grads(model, vh, params, 2, false, 0),
            "int8 checkpointed");
      }
    }
  }

  @Test
  void checkpointedBackwardFreesEverythingItMade() {
    try (CausalLM model = Presets.create("nano", 12);
        LoraModel lora = LoraModel.inject(model, LORA, 13);
        ValueHead vh = ValueHead.create(model.manager(), model.config().hiddenSize(), false, 14);
        NDManager m = NDManager.newBaseManager()) {
      vh.setTrainable(true);
      Map<String, NDArray> params = withHead(lora.trainableParameters(), vh);
      NDArray ids = ids(m);
      NDArray mask = mask(m);
      long modelArrays = live(model.manager());
      long inputArrays = live(m);
      NDList r;
      try (NDScope outer = new NDScope()) {
        r = model.backward(ids, mask, false, true, loss(model, vh, ids, false));
        assertEquals(2, live(m) - inputArrays, "only the two returned arrays remain");
        float lossValue = r.get(0).getFloat();
        assertTrue(Float.isFinite(lossValue));
      }
      assertTrue(r.get(0).isReleased(), "returned arrays belong to the caller's scope");
      params.values().forEach(p -> p.getGradient().close());
      assertEquals(modelArrays, live(model.manager()), "no array left in the model manager");
    }
  }

  @Test
  void backwardInsideACollectorIsRefused() {
    try (CausalLM model = Presets.create("nano", 15);
        NDManager m = NDManager.newBaseManager();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> model.backward(ids(m), null, false, true, h -> new NDList(h.sum())));
      assertTrue(e.getMessage().contains("outside any collector"), e.getMessage());
    }
  }

  private static long live(NDManager m) {
    return m.getManagedArrays().stream().filter(a -> !a.isReleased()).count();
  }
}
