package rlhf4j.policy.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OptimizerStateTest {

  private static final int TOTAL = 6;
  private static final int SPLIT = 3;

  static Stream<Arguments> optimizers() {
    // warm-up + decay, so a lost step count would change the learning rate after resuming
    Supplier<LrSchedule> schedule = () -> LrSchedule.linear(0.05, Warmup.ofSteps(2), TOTAL);
    return Stream.of(
        Arguments.of(
            "adamw", (Supplier<Optimizer>) () -> new AdamW(AdamWConfig.defaults(), schedule.get())),
        Arguments.of(
            "adam", (Supplier<Optimizer>) () -> new AdamW(AdamWConfig.adam(), schedule.get())),
        Arguments.of(
            "sgd",
            (Supplier<Optimizer>)
                () ->
                    new Sgd(
                        SgdConfig.builder().optMomentum(0.9).optWeightDecay(0.01).build(),
                        schedule.get())),
        Arguments.of(
            "adamw8bit",
            (Supplier<Optimizer>)
                () -> new AdamW8bit(AdamW8bitConfig.defaults().withBlockSize(5), schedule.get())));
  }

  /** A small linear regression: w (3, 4), b (4); data for step t is fixed by the seed. */
  private static Map<String, NDArray> freshParams(NDManager manager) {
    Random random = new Random(3);
    float[] w = new float[12];
    float[] b = new float[4];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) random.nextGaussian();
    }
    return OptimFixtures.params(
        "w",
        OptimFixtures.trainable(manager, w, 3, 4),
        "b",
        OptimFixtures.trainable(manager, b, 4));
  }

  private static void trainStep(Map<String, NDArray> params, Optimizer opt, int t, NDManager data) {
    Random random = new Random(100 + t);
    float[] x = new float[5 * 3];
    float[] y = new float[5 * 4];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < y.length; i++) {
      y[i] = (float) random.nextGaussian();
    }
    NDArray xs = data.create(x).reshape(5, 3); // (B, D)
    NDArray ys = data.create(y).reshape(5, 4); // (B, 4)
    OptimFixtures.backward(
        params, ps -> xs.matMul(ps.get("w")).add(ps.get("b")).sub(ys).square().mean());
    GradClip.clipGlobalNorm(params, 1.0);
    opt.step(params);
    xs.close();
    ys.close();
  }

  private static byte[] toSafetensors(Map<String, NDArray> arrays) {
    NDList list = new NDList();
    arrays.forEach(
        (name, array) -> {
          array.setName(name);
          list.add(array);
        });
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      list.encode(out, NDList.Encoding.SAFETENSORS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static Map<String, NDArray> fromSafetensors(NDManager manager, byte[] bytes) {
    Map<String, NDArray> arrays = new LinkedHashMap<>();
    for (NDArray array : NDList.decode(manager, bytes)) {
      arrays.put(array.getName(), array);
    }
    return arrays;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optimizers")
  void exportThenImportContinuesBitwiseLikeAnUninterruptedRun(
      String name, Supplier<Optimizer> factory) {
    float[] wExpected;
    float[] bExpected;
    try (NDManager manager = NDManager.newBaseManager();
        Optimizer opt = factory.get()) {
      Map<String, NDArray> params = freshParams(manager);
      for (int t = 0; t < TOTAL; t++) {
        trainStep(params, opt, t, manager);
      }
      wExpected = params.get("w").toFloatArray();
      bExpected = params.get("b").toFloatArray();
    }

    byte[] paramFile;
    byte[] stateFile;
    Map<String, Long> scalars;
    try (NDManager manager = NDManager.newBaseManager();
        Optimizer opt = factory.get()) {
      Map<String, NDArray> params = freshParams(manager);
      for (int t = 0; t < SPLIT; t++) {
        trainStep(params, opt, t, manager);
      }
      OptimizerState state = opt.exportState();
      assertFalse(state.tensors().isEmpty());
      paramFile = toSafetensors(params);
      stateFile = toSafetensors(state.tensors());
      scalars = state.scalars();
    }

    try (NDManager manager = NDManager.newBaseManager();
        Optimizer opt = factory.get()) {
      Map<String, NDArray> params = fromSafetensors(manager, paramFile);
      params.values().forEach(p -> p.setRequiresGradient(true));
      try (NDManager loading = NDManager.newBaseManager()) {
        opt.importState(new OptimizerState(fromSafetensors(loading, stateFile), scalars));
      } // closed before the next step: the optimizer copied what it needs
      assertEquals(SPLIT, opt.stepCount());
      for (int t = SPLIT; t < TOTAL; t++) {
        trainStep(params, opt, t, manager);
      }
      assertArrayEquals(wExpected, params.get("w").toFloatArray());
      assertArrayEquals(bExpected, params.get("b").toFloatArray());
      assertEquals(TOTAL, opt.stepCount());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optimizers")
  void perStepScopeFreesNeitherStateNorChangesResults(String name, Supplier<Optimizer> factory) {
    float[] unscoped;
    try (NDManager manager = NDManager.newBaseManager();
        Optimizer opt = factory.get()) {
      Map<String, NDArray> params = freshParams(manager);
      for (int t = 0; t < 3; t++) {
        trainStep(params, opt, t, manager);
      }
      unscoped = params.get("w").toFloatArray();
    }
    try (NDManager root = NDManager.newBaseManager();
        Optimizer opt = factory.get()) {
      NDManager paramManager = root.newSubManager();
      Map<String, NDArray> params = freshParams(paramManager);
      for (int t = 0; t < 3; t++) {
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          trainStep(params, opt, t, root);
        }
      }
      assertArrayEquals(unscoped, params.get("w").toFloatArray());
      Map<String, NDArray> state = opt.exportState().tensors();
      for (Map.Entry<String, NDArray> e : state.entrySet()) {
        assertFalse(e.getValue().isReleased(), e.getKey() + " was freed by the step scope");
        assertTrue(e.getValue().getManager() == paramManager, e.getKey() + " manager");
      }
      // nothing else stayed behind in the parameters' manager: no grad wrappers, no temporaries
      Set<NDArray> expected = new HashSet<>(params.values());
      expected.addAll(state.values());
      assertEquals(expected, new HashSet<>(paramManager.getManagedArrays()));
    }
  }

  @Test
  void stepWithoutCallerScopeLeavesNoTemporaries() {
    try (NDManager root = NDManager.newBaseManager();
        AdamW8bit opt =
            new AdamW8bit(AdamW8bitConfig.defaults().withBlockSize(5), LrSchedule.constant(0.01))) {
      NDManager paramManager = root.newSubManager();
      Map<String, NDArray> params = freshParams(paramManager);
      for (int t = 0; t < 3; t++) {
        trainStep(params, opt, t, root);
      }
      assertEquals(2 + 8, paramManager.getManagedArrays().size(), "2 params + 4 slots each");
    }
  }

  @Test
  void importRejectsStateOfAnotherShapeNamingTheTensor() {
    try (NDManager manager = NDManager.newBaseManager();
        AdamW source = new AdamW(AdamWConfig.defaults(), LrSchedule.constant(0.01));
        AdamW target = new AdamW(AdamWConfig.defaults(), LrSchedule.constant(0.01))) {
      Map<String, NDArray> params = freshParams(manager);
      trainStep(params, source, 0, manager);
      target.importState(source.exportState());
      NDArray wrongShape = OptimFixtures.trainable(manager, new float[12], 4, 3);
      Map<String, NDArray> other = OptimFixtures.params("w", wrongShape, "b", params.get("b"));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> target.step(other));
      assertTrue(e.getMessage().contains("adamw.m.w"), e.getMessage());
    }
  }

  @Test
  void importRejectsStateForUnknownParameters() {
    try (NDManager manager = NDManager.newBaseManager();
        AdamW source = new AdamW(AdamWConfig.defaults(), LrSchedule.constant(0.01));
        AdamW target = new AdamW(AdamWConfig.defaults(), LrSchedule.constant(0.01))) {
      Map<String, NDArray> params = freshParams(manager);
      trainStep(params, source, 0, manager);
      target.importState(source.exportState());
      Map<String, NDArray> onlyW = OptimFixtures.params("w", params.get("w"));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> target.step(onlyW));
      assertTrue(e.getMessage().contains("adamw.m.b"), e.getMessage());
    }
  }

  @Test
  void importRejectsStateOfAnotherOptimizerKind() {
    try (NDManager manager = NDManager.newBaseManager();
        Sgd sgd = new Sgd(SgdConfig.builder().optMomentum(0.9).build(), LrSchedule.constant(0.01));
        AdamW adamW = new AdamW(AdamWConfig.defaults(), LrSchedule.constant(0.01))) {
      trainStep(freshParams(manager), sgd, 0, manager);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> adamW.importState(sgd.exportState()));
      assertTrue(e.getMessage().contains("sgd."), e.getMessage());
    }
  }

  @Test
  void reimportingOwnLiveStateKeepsValues() {
    try (NDManager manager = NDManager.newBaseManager();
        AdamW opt = new AdamW(AdamWConfig.defaults(), LrSchedule.constant(0.01))) {
      Map<String, NDArray> params = freshParams(manager);
      trainStep(params, opt, 0, manager);
      float[] m = opt.exportState().tensors().get("adamw.m.w").toFloatArray();
      opt.importState(opt.exportState());
      assertArrayEquals(m, opt.exportState().tensors().get("adamw.m.w").toFloatArray());
      trainStep(params, opt, 1, manager);
      assertEquals(2, opt.stepCount());
      assertEquals(DataType.FLOAT32, opt.exportState().tensors().get("adamw.v.b").getDataType());
      assertEquals(
          List.of("adamw.step", "adamw.step.w", "adamw.step.b"),
          List.copyOf(opt.exportState().scalars().keySet()));
    }
  }
}
