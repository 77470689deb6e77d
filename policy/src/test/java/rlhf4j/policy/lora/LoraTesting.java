package rlhf4j.policy.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.testing.Fixtures;

/** Helpers shared by the LoRA tests. */
final class LoraTesting {
  /** The token ids of the golden logits files. */
  static final long[][] IDS = {{5, 17, 42, 99, 250, 3, 7, 128}, {1, 2, 3, 4, 5, 6, 7, 8}};

  private LoraTesting() {}

  static CausalLM tiny(String name) {
    return HfCheckpoint.load(Fixtures.path("hf/" + name));
  }

  static NDArray ids(NDManager m, long[][] ids) {
    long[] flat = Arrays.stream(ids).flatMapToLong(Arrays::stream).toArray();
    return m.create(flat, new Shape(ids.length, ids[0].length));
  }

  /** Eval-mode logits for {@link #IDS}, flattened (B·T·V). */
  static float[] logits(CausalLM model) {
    return logits(model, false);
  }

  static float[] logits(CausalLM model, boolean training) {
    try (NDManager m = NDManager.newBaseManager();
        NDScope s = new NDScope()) {
      return model.forward(ids(m, IDS), null, null, training, true).logits().toFloatArray();
    }
  }

  /** Sets every lora_B of the active adapter to seeded N(0, std²) values (a trained-looking B). */
  static void randomizeB(LoraModel lora, long seed, double std) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (Map.Entry<String, NDArray> e : lora.trainableParameters().entrySet()) {
      if (e.getKey().contains(".lora_B.")) {
        NDArray b = e.getValue();
        float[] v = new float[Math.toIntExact(b.size())];
        for (int i = 0; i < v.length; i++) {
          double u1 = rng.nextDouble();
          double u2 = rng.nextDouble();
          v[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
        }
        b.set(v);
      }
    }
  }

  /** Copies of every base parameter's values, by name. */
  static Map<String, float[]> snapshot(Map<String, NDArray> params) {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new AssertionError("length " + a.length + " != " + b.length);
    }
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
