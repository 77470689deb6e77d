package rlhf4j.policy.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.KvCache;
import rlhf4j.policy.model.ModelConfig;

/**
 * What the family oracle tests run against {@link DecoderOracle}: a seeded model, its logits
 * against the oracle's, LoRA and merged logits, the KV cache against full recomputation, and the
 * config.json and checkpoint round trips.
 */
final class OracleRuns {
  /** Two rows of eight token ids below 97. */
  static final long[][] IDS = {{3, 50, 7, 96, 12, 0, 41, 77}, {9, 9, 1, 64, 33, 8, 2, 90}};

  /** No padding. */
  static final long[][] ALL = {{1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1}};

  /** The second row left-padded by three. */
  static final long[][] LEFT_PADDED = {{1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 0, 1, 1, 1, 1, 1}};

  private OracleRuns() {}

  /** A seeded model whose norms are not 1 and whose weights are large enough to matter. */
  static CausalLM model(ModelConfig c, long seed) {
    CausalLM model = CausalLM.random(c, seed);
    SplittableRandom rng = new SplittableRandom(seed + 1);
    for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
      NDArray a = e.getValue();
      float[] v = a.toFloatArray();
      boolean norm = e.getKey().contains("norm");
      for (int i = 0; i < v.length; i++) {
        v[i] = norm ? v[i] + (float) (0.3 * (rng.nextDouble() - 0.5)) : v[i] * 4;
      }
      a.set(v);
    }
    return model;
  }

  /** Max error of the model's logits against the oracle on {@link #IDS} with {@code mask}. */
  static double compare(CausalLM model, DecoderOracle oracle, long[][] mask) {
    try (NDManager m = NDManager.newBaseManager()) {
      float[] actual = model.forward(ids(m, IDS), ids(m, mask)).logits().toFloatArray();
      double[][][] expected = new double[IDS.length][][];
      for (int b = 0; b < IDS.length; b++) {
        expected[b] = oracle.logits(IDS[b], mask[b]);
      }
      return DecoderOracle.maxAbsDiff(expected, actual, IDS[0].length, model.config().vocabSize());
    }
  }

  /**
   * Prefill {@code prompt} positions, then decode one token at a time with the cache; the max error
   * against a full forward's logits over the real positions.
   */
  static double cacheVersusFull(
      CausalLM model, NDManager m, long[][] idRows, long[][] maskRows, int prompt) {
    int t = idRows[0].length;
    NDArray ids = ids(m, idRows);
    NDArray mask = ids(m, maskRows);
    NDArray full = model.forward(ids, mask).logits(); // (B, T, V)
    try (KvCache cache = new KvCache(m, model.config(), idRows.length, t)) {
      NDList steps = new NDList();
      steps.add(
          model
              .forward(
                  ids.get(new NDIndex(":, :{}", prompt)),
                  mask.get(new NDIndex(":, :{}", prompt)),
                  cache,
                  false,
                  true)
              .logits());
      for (int i = prompt; i < t; i++) {
        steps.add(
            model
                .forward(
                    ids.get(new NDIndex(":, {}:{}", i, i + 1)),
                    mask.get(new NDIndex(":, :{}", i + 1)),
                    cache,
                    false,
                    true)
                .logits());
      }
      float[] cached = NDArrays.concat(steps, 1).toFloatArray();
      float[] expected = full.toFloatArray();
      int v = model.config().vocabSize();
      double err = 0;
      for (int b = 0; b < idRows.length; b++) {
        for (int i = 0; i < t; i++) {
          if (maskRows[b][i] == 0) {
            continue;
          }
          for (int k = 0; k < v; k++) {
            int at = (b * t + i) * v + k;
            err = Math.max(err, Math.abs(cached[at] - expected[at]));
          }
        }
      }
      return err;
    }
  }

  static NDArray ids(NDManager m, long[][] rows) {
    long[] flat = Arrays.stream(rows).flatMapToLong(Arrays::stream).toArray();
    return m.create(flat, new Shape(rows.length, rows[0].length));
  }

  /**
   * LoRA (r 4, alpha 8, the family's default targets, every lora_B moved by 0.05) against the
   * oracle with the low-rank updates merged in double, then after {@link LoraModel#merge()}.
   *
   * @return {LoRA error, merged error} on {@link #IDS} with {@code mask}
   */
  static double[] loraAndMergedErrors(ModelConfig c, long modelSeed, long loraSeed, long[][] mask) {
    try (CausalLM model = model(c, modelSeed);
        LoraModel lora =
            LoraModel.inject(model, LoraConfig.builder().r(4).loraAlpha(8).build(), loraSeed)) {
      DecoderOracle oracle = new DecoderOracle(c, model.parameters());
      Map<String, NDArray> trainable = lora.trainableParameters();
      for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
        if (e.getKey().contains(".lora_B.")) {
          e.getValue().addi(0.05f);
        }
      }
      for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
        String key = e.getKey();
        if (key.contains(".lora_A.")) {
          String path = key.substring(LoraModel.KEY_PREFIX.length(), key.indexOf(".lora_A."));
          oracle.addLowRank(
              path + ".weight",
              e.getValue(),
              trainable.get(key.replace(".lora_A.", ".lora_B.")),
              8.0 / 4);
        }
      }
      double err = compare(model, oracle, mask);
      lora.merge();
      return new double[] {err, compare(model, oracle, mask)};
    }
  }

  /**
   * {@code c} survives config.json, and a seeded model of it survives {@link HfCheckpoint} save and
   * load: the same config and bitwise the same parameters.
   */
  static void assertRoundTrips(ModelConfig c, long seed, Path dir) throws IOException {
    assertEquals(c, HfConfig.fromJson(HfConfig.toJson(c), new JsonObject()));
    try (CausalLM model = model(c, seed)) {
      HfCheckpoint.save(model, dir);
      try (CausalLM back = HfCheckpoint.load(dir)) {
        assertEquals(c, back.config());
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
          assertArrayEquals(
              e.getValue().toFloatArray(),
              back.parameters().get(e.getKey()).toFloatArray(),
              e.getKey());
        }
      }
    }
  }
}
