package rlhf4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.policy.family.Presets;

/** Prefill + one-token decode steps with the cache equal one full forward, with left padding. */
class KvCacheTest {
  @ParameterizedTest
  @ValueSource(strings = {"nano", "tiny-llama", "tiny-neox"})
  void cachedDecodingEqualsFullForward(String preset) {
    try (CausalLM model = Presets.create(preset, 3);
        NDManager m = NDManager.newBaseManager()) {
      long[][] ids = {{0, 0, 11, 12, 13, 14, 15, 16}, {21, 22, 23, 24, 25, 26, 27, 28}};
      long[][] mask = {{0, 0, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1}};
      NDArray allIds = m.create(ids[0]).reshape(1, 8).concat(m.create(ids[1]).reshape(1, 8), 0);
      NDArray allMask = m.create(mask[0]).reshape(1, 8).concat(m.create(mask[1]).reshape(1, 8), 0);
      NDArray full = model.forward(allIds, allMask).logits(); // (2, 8, V)
      int prompt = 5;
      try (KvCache cache = new KvCache(m, model.config(), 2, 8)) {
        NDArray first =
            model
                .forward(
                    allIds.get(new NDIndex(":, :{}", prompt)),
                    allMask.get(new NDIndex(":, :{}", prompt)),
                    cache,
                    false,
                    true)
                .logits();
        NDList steps = new NDList(first);
        for (int t = prompt; t < 8; t++) {
          steps.add(
              model
                  .forward(
                      allIds.get(new NDIndex(":, {}:{}", t, t + 1)),
                      allMask.get(new NDIndex(":, :{}", t + 1)),
                      cache,
                      false,
                      true)
                  .logits());
        }
        NDArray cached = NDArrays.concat(steps, 1);
        // compare real (unpadded) positions only
        NDArray diff = cached.sub(full).abs().mul(allMask.expandDims(2));
        float err = diff.max().getFloat();
        assertTrue(err < 1e-5, preset + ": cached vs full max abs diff " + err);
        assertTrue(cached.getShape().equals(new Shape(2, 8, model.config().vocabSize())));
      }
    }
  }
}
