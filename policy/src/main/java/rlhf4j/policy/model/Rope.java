package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Rotary position embeddings in HF's rotate-half convention, over the first R dims of a head. */
public final class Rope {
  private Rope() {}

  /**
   * Inverse frequencies base^(−2i/R) for i {@literal <} R/2, with optional rope scaling (longrope:
   * its short factors, see {@link #longRopeFrequencies}).
   */
  public static float[] inverseFrequencies(int rotaryDims, double theta, RopeScaling scaling) {
    if (scaling != null && scaling.type() == RopeScaling.Type.LONGROPE) {
      return longRopeFrequencies(rotaryDims, theta, scaling, false);
    }
    float[] inv = new float[rotaryDims / 2];
    for (int i = 0; i < inv.length; i++) {
      // HF computes base ** (arange(0, R, 2).float() / R) in float32
      float exponent = (float) (2 * i) / (float) rotaryDims;
      inv[i] = (float) (1.0 / Math.pow(theta, exponent));
    }
    if (scaling == null) {
      return inv;
    }
    if (scaling.type() == RopeScaling.Type.LINEAR) {
      for (int i = 0; i < inv.length; i++) {
        inv[i] = (float) (inv[i] / scaling.factor());
      }
      return inv;
    }
    // llama3: wavelengths longer than original/lowFreqFactor are divided by factor, shorter than
    // original/highFreqFactor kept, smooth interpolation between
    double lowWavelen = scaling.originalMaxPositions() / scaling.lowFreqFactor();
    double highWavelen = scaling.originalMaxPositions() / scaling.highFreqFactor();
    for (int i = 0; i < inv.length; i++) {
      double wavelen = 2 * Math.PI / inv[i];
      if (wavelen > lowWavelen) {
        inv[i] = (float) (inv[i] / scaling.factor());
      } else if (wavelen >= highWavelen) {
        double smooth =
            (scaling.originalMaxPositions() / wavelen - scaling.lowFreqFactor())
                / (scaling.highFreqFactor() - scaling.lowFreqFactor());
        inv[i] = (float) ((1 - smooth) * inv[i] / scaling.factor() + smooth * inv[i]);
      }
    }
    return inv;
  }

  /**
   * LongRoPE inverse frequencies 1 / (ext_i · base^(2i/R)), ext = the long factors or the short
   * ones, in float32 as transformers' {@code _compute_longrope_parameters} computes them
   * (modeling_rope_utils.py: {@code inv_freq = 1.0 / (ext_factors * base**inv_freq_shape)}).
   */
  public static float[] longRopeFrequencies(
      int rotaryDims, double theta, RopeScaling scaling, boolean useLong) {
    java.util.List<Double> ext = useLong ? scaling.longFactor() : scaling.shortFactor();
    float[] inv = new float[rotaryDims / 2];
    for (int i = 0; i < inv.length; i++) {
      float exponent = (float) (2 * i) / (float) rotaryDims;
      float base = (float) Math.pow(theta, exponent);
      inv[i] = 1.0f / (ext.get(i).floatValue() * base);
    }
    return inv;
  }

  /**
   * cos and sin of position·frequency, duplicated over both halves.
   *
   * @param positions (B, T) int64
   * @return {cos, sin}, each (B, 1, T, R)
   */
  public static NDArray[] cosSin(NDManager manager, NDArray positions, float[] invFreq) {
    return cosSin(manager, positions, invFreq, 1.0);
  }

  /**
   * Like {@link #cosSin(NDManager, NDArray, float[])}, both multiplied by {@code scaling} (HF's
   * {@code attention_scaling}: {@code cos = emb.cos() * attention_scaling}; 1 for none).
   */
  public static NDArray[] cosSin(
      NDManager manager, NDArray positions, float[] invFreq, double scaling) {
    NDArray inv = manager.create(invFreq).reshape(1, 1, invFreq.length); // (1, 1, R/2)
    NDArray freqs = positions.toType(DataType.FLOAT32, false).expandDims(2).mul(inv); // (B,T,R/2)
    NDArray emb = NDArrays.concat(new NDList(freqs, freqs), 2).expandDims(1); // (B, 1, T, R)
    if (scaling == 1.0) {
      return new NDArray[] {emb.cos(), emb.sin()};
    }
    return new NDArray[] {
      Scalars.mul(emb.cos(), (float) scaling), Scalars.mul(emb.sin(), (float) scaling)
    };
  }

  /** x·cos + rotate_half(x)·sin on the first R dims, the rest passed through. x (B, H, T, Dh). */
  static NDArray apply(NDArray x, NDArray cos, NDArray sin, int rotaryDims) {
    long dh = x.getShape().get(3);
    NDArray rot = rotaryDims == dh ? x : x.get(new NDIndex("..., :{}", rotaryDims));
    int half = rotaryDims / 2;
    NDArray x1 = rot.get(new NDIndex("..., :{}", half));
    NDArray x2 = rot.get(new NDIndex("..., {}:", half));
    NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), 3);
    NDArray embedded = rot.mul(cos).add(rotated.mul(sin));
    if (rotaryDims == dh) {
      return embedded;
    }
    NDArray pass = x.get(new NDIndex("..., {}:", rotaryDims));
    return NDArrays.concat(new NDList(embedded, pass), 3);
  }

  static Shape shape(long... dims) {
    return new Shape(dims);
  }
}
