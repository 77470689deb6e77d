package rlhf4j.policy.family;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.RopeScaling;

/**
 * A slow plain-loop double-precision forward of the Llama-layout decoders (Llama, Mistral, Qwen2,
 * Qwen3, OLMo 2), written from transformers' modeling files, independent of the NDArray code. One
 * row, one token, one head at a time:
 *
 * <ul>
 *   <li>RMSNorm {@code x * rsqrt(mean(x^2) + eps) * w} (modeling_qwen3.py {@code Qwen3RMSNorm});
 *   <li>q/k/v projections, per-head q/k RMSNorm over head_dim before RoPE when the weights {@code
 *       self_attn.q_norm} exist ({@code Qwen3Attention.forward}: {@code
 *       q_norm(q_proj(x).view(hidden_shape))});
 *   <li>rotate-half RoPE at {@code position_ids = cumsum(mask) - 1} ({@code apply_rotary_pos_emb},
 *       {@code compute_default_rope_parameters}: inv_freq = 1 / theta^(2i/head_dim));
 *   <li>softmax(q k^T * head_dim^-0.5) over keys j <= i that are not padding and, in a sliding
 *       layer, j > i - window (masking_utils.py {@code causal_mask_function}, {@code
 *       sliding_window_overlay}); key/value head h / groups serves query head h ({@code
 *       repeat_kv});
 *   <li>residual, {@code post_attention_layernorm}, {@code down(silu(gate(x)) * up(x))}, residual;
 *       final {@code model.norm} and {@code lm_head} (or the tied embedding).
 * </ul>
 *
 * OLMo 2 (when {@code post_feedforward_layernorm} weights exist; modeling_olmo2.py {@code
 * Olmo2DecoderLayer.forward}, {@code Olmo2Attention.forward}): no input norms, {@code x +
 * post_attention_layernorm(attn(x))} then {@code + post_feedforward_layernorm(mlp(.))}, and q/k
 * RMSNorm over the whole projection before the head split.
 *
 * <p>Gemma 3 (when {@code pre_feedforward_layernorm} weights exist; modeling_gemma3.py {@code
 * Gemma3DecoderLayer.forward}, {@code Gemma3RMSNorm}, {@code Gemma3TextScaledWordEmbedding}):
 * embeddings times √hidden, RMSNorm times {@code (1 + w)}, {@code x +
 * post_attention_layernorm(attn(input_layernorm(x)))} then {@code +
 * post_feedforward_layernorm(mlp(pre_feedforward_layernorm(.)))}, tanh GELU in the MLP, and the
 * sliding layers' RoPE base {@code rope_local_base_freq}.
 *
 * <p>Phi-3 (when {@code qkv_proj} weights exist; modeling_phi3.py {@code Phi3Attention.forward},
 * {@code Phi3MLP.forward}, {@code apply_rotary_pos_emb}): q, k, v cut from one projection at H·Dh
 * and H·Dh + Hkv·Dh, {@code gate, up = gate_up_proj(x).chunk(2)}, {@code up · silu(gate)}, and
 * rotary on the first {@code partial_rotary_factor · head_dim} dims only. With LongRoPE
 * (modeling_rope_utils.py {@code _compute_longrope_parameters}, {@code longrope_frequency_update}):
 * frequency i is {@code 1 / (ext_i · theta^(2i/R))}, ext the long factors when the batch's {@code
 * max(position_ids) + 1} exceeds {@code original_max_position_embeddings}, else the short ones, and
 * cos/sin are multiplied by {@code attention_factor}, else {@code sqrt(1 + ln(factor) /
 * ln(original))} with factor {@code max_position_embeddings / original} unless given (1 when factor
 * ≤ 1).
 *
 * <p>Attention scores are scaled by {@code query_pre_attn_scalar^-0.5} when the config has one
 * (modeling_gemma3.py {@code Gemma3Attention.__init__}: {@code self.scaling =
 * config.query_pre_attn_scalar**-0.5}), else {@code head_dim^-0.5}; Gemma 3's {@code
 * attn_logit_softcapping} is not applied ({@code Gemma3Attention.forward} passes no {@code
 * softcap}); logits are {@code cap · tanh(logits / cap)} with {@code final_logit_softcapping}
 * ({@code Gemma3ForCausalLM.forward}).
 */
final class DecoderOracle {
  private final ModelConfig c;
  private final Map<String, double[][]> mats = new LinkedHashMap<>();
  private final Map<String, double[]> vecs = new LinkedHashMap<>();

  /** An oracle over a copy of {@code p} (rlhf4j layout: Linear weights (out, in)). */
  DecoderOracle(ModelConfig c, Map<String, NDArray> p) {
    if (c.ropeScaling() != null && c.ropeScaling().type() != RopeScaling.Type.LONGROPE) {
      throw new IllegalArgumentException("the oracle has no linear or llama3 rope scaling");
    }
    this.c = c;
    for (Map.Entry<String, NDArray> e : p.entrySet()) {
      NDArray a = e.getValue();
      if (a.getShape().dimension() == 2) {
        mats.put(e.getKey(), mat(a));
      } else {
        vecs.put(e.getKey(), vec(a));
      }
    }
  }

  /** Adds {@code scale * B A} to weight {@code weight} (a LoRA update, merged in double). */
  void addLowRank(String weight, NDArray a, NDArray b, double scale) {
    double[][] w = mats.get(weight);
    double[][] am = mat(a); // (r, in)
    double[][] bm = mat(b); // (out, r)
    for (int o = 0; o < w.length; o++) {
      for (int i = 0; i < w[o].length; i++) {
        double s = 0;
        for (int k = 0; k < am.length; k++) {
          s += bm[o][k] * am[k][i];
        }
        w[o][i] += scale * s;
      }
    }
  }

  /** Logits [T][V] of one row; rows at padded positions are left null. */
  double[][] logits(long[] ids, long[] mask) {
    return logits(ids, mask, Arrays.stream(mask).sum());
  }

  /**
   * Logits [T][V] of one row of a batch whose longest row has {@code batchLength} real tokens
   * (LongRoPE picks its factors from the whole batch's {@code max(position_ids) + 1}).
   */
  double[][] logits(long[] ids, long[] mask, long batchLength) {
    int n = ids.length;
    int d = c.hiddenSize();
    int h = c.numHeads();
    int hkv = c.numKvHeads();
    int dh = c.headDim();
    int groups = h / hkv;
    int[] pos = new int[n];
    int seen = 0;
    for (int t = 0; t < n; t++) {
      seen += (int) mask[t];
      pos[t] = Math.max(seen - 1, 0);
    }
    double[][] emb = mats.get("model.embed_tokens.weight");
    double[][] x = new double[n][];
    boolean gemma = c.normKind() == rlhf4j.policy.model.NormKind.RMS_NORM_PLUS_ONE;
    for (int t = 0; t < n; t++) {
      x[t] = emb[(int) ids[t]].clone();
      if (gemma) {
        for (int i = 0; i < d; i++) {
          x[t][i] *= (float) Math.sqrt(d);
        }
      }
    }
    for (int l = 0; l < c.numLayers(); l++) {
      String pre = "model.layers." + l;
      String at = pre + ".self_attn.";
      boolean qkNorm = vecs.containsKey(at + "q_norm.weight");
      boolean sandwich = vecs.containsKey(pre + ".pre_feedforward_layernorm.weight");
      boolean postNorm = !sandwich && vecs.containsKey(pre + ".post_feedforward_layernorm.weight");
      boolean wholeQk = qkNorm && vecs.get(at + "q_norm.weight").length != dh;
      double theta =
          c.slidingLayer(l) && c.slidingRopeTheta() > 0 ? c.slidingRopeTheta() : c.ropeTheta();
      double[][][] q = new double[h][n][];
      double[][][] k = new double[hkv][n][];
      double[][][] v = new double[hkv][n][];
      for (int t = 0; t < n; t++) {
        double[] a = postNorm ? x[t] : rms(x[t], vecs.get(pre + ".input_layernorm.weight"));
        double[] qa;
        double[] ka;
        double[] va;
        if (mats.containsKey(at + "qkv_proj.weight")) {
          double[] qkv = affine(at + "qkv_proj", a);
          qa = slice(qkv, 0, h * dh);
          ka = slice(qkv, h * dh, hkv * dh);
          va = slice(qkv, (h + hkv) * dh, hkv * dh);
        } else {
          qa = affine(at + "q_proj", a);
          ka = affine(at + "k_proj", a);
          va = affine(at + "v_proj", a);
        }
        if (wholeQk) {
          qa = rms(qa, vecs.get(at + "q_norm.weight"));
          ka = rms(ka, vecs.get(at + "k_norm.weight"));
        }
        for (int hh = 0; hh < h; hh++) {
          q[hh][t] = slice(qa, hh * dh, dh);
          if (qkNorm && !wholeQk) {
            q[hh][t] = rms(q[hh][t], vecs.get(at + "q_norm.weight"));
          }
          rotate(q[hh][t], pos[t], theta, batchLength);
        }
        for (int hh = 0; hh < hkv; hh++) {
          k[hh][t] = slice(ka, hh * dh, dh);
          if (qkNorm && !wholeQk) {
            k[hh][t] = rms(k[hh][t], vecs.get(at + "k_norm.weight"));
          }
          rotate(k[hh][t], pos[t], theta, batchLength);
          v[hh][t] = slice(va, hh * dh, dh);
        }
      }
      boolean sliding = c.slidingLayer(l);
      double[][] next = new double[n][];
      for (int t = 0; t < n; t++) {
        double[] attn = new double[h * dh];
        for (int hh = 0; hh < h; hh++) {
          int kv = hh / groups;
          double[] s = new double[t + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= t; j++) {
            boolean visible = mask[j] == 1 && (!sliding || j > t - c.slidingWindow());
            double scalar = c.queryPreAttnScalar() > 0 ? c.queryPreAttnScalar() : dh;
            s[j] = visible ? dot(q[hh][t], k[kv][j]) / Math.sqrt(scalar) : Double.NEGATIVE_INFINITY;
            max = Math.max(max, s[j]);
          }
          double z = 0;
          for (int j = 0; j <= t; j++) {
            s[j] = s[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(s[j] - max);
            z += s[j];
          }
          for (int j = 0; j <= t && z > 0; j++) {
            for (int i = 0; i < dh; i++) {
              attn[hh * dh + i] += s[j] / z * v[kv][j][i];
            }
          }
        }
        double[] o = affine(at + "o_proj", attn);
        double[] post = vecs.get(pre + ".post_attention_layernorm.weight");
        double[] hid = add(x[t], postNorm || sandwich ? rms(o, post) : o);
        double[] m =
            postNorm
                ? hid
                : sandwich
                    ? rms(hid, vecs.get(pre + ".pre_feedforward_layernorm.weight"))
                    : rms(hid, post);
        double[] gate;
        double[] up;
        if (mats.containsKey(pre + ".mlp.gate_up_proj.weight")) {
          double[] gu = affine(pre + ".mlp.gate_up_proj", m);
          gate = slice(gu, 0, gu.length / 2);
          up = slice(gu, gu.length / 2, gu.length / 2);
        } else {
          gate = affine(pre + ".mlp.gate_proj", m);
          up = affine(pre + ".mlp.up_proj", m);
        }
        for (int i = 0; i < gate.length; i++) {
          double g = gate[i];
          gate[i] =
              (gemma
                      ? 0.5
                          * g
                          * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g)))
                      : g / (1 + Math.exp(-g)))
                  * up[i];
        }
        double[] down = affine(pre + ".mlp.down_proj", gate);
        next[t] =
            add(
                hid,
                postNorm || sandwich
                    ? rms(down, vecs.get(pre + ".post_feedforward_layernorm.weight"))
                    : down);
      }
      x = next;
    }
    double[][] head =
        c.tieWordEmbeddings() ? mats.get("model.embed_tokens.weight") : mats.get("lm_head.weight");
    double[][] out = new double[n][];
    for (int t = 0; t < n; t++) {
      if (mask[t] == 0) {
        continue; // HF's values at padded queries are meaningless
      }
      double[] f = rms(x[t], vecs.get("model.norm.weight"));
      out[t] = new double[head.length];
      double cap = c.finalLogitSoftcap();
      for (int o = 0; o < head.length; o++) {
        out[t][o] = dot(head[o], f);
        if (cap > 0) {
          out[t][o] = cap * Math.tanh(out[t][o] / cap);
        }
      }
    }
    return out;
  }

  /** Rotate-half RoPE over the first R dims at position {@code p}. */
  private void rotate(double[] x, int p, double theta, long batchLength) {
    int dh = c.rotaryDims(); // the first R dims rotate, the rest pass
    int half = dh / 2;
    double[] in = x.clone();
    RopeScaling r = c.ropeScaling();
    boolean longRope = r != null && r.type() == RopeScaling.Type.LONGROPE;
    double mscale = 1;
    List<Double> ext = null;
    if (longRope) {
      int original = r.originalMaxPositions();
      double factor = r.factor() > 0 ? r.factor() : (double) c.maxPositions() / original;
      mscale =
          r.attentionFactor() > 0
              ? r.attentionFactor()
              : factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
      ext = batchLength > original ? r.longFactor() : r.shortFactor();
    }
    for (int i = 0; i < half; i++) {
      double freq = Math.pow(theta, 2.0 * i / dh) * (longRope ? ext.get(i) : 1);
      double angle = p / freq;
      double cos = mscale * Math.cos(angle);
      double sin = mscale * Math.sin(angle);
      x[i] = in[i] * cos - in[i + half] * sin;
      x[i + half] = in[i + half] * cos + in[i] * sin;
    }
  }

  private double[] rms(double[] x, double[] w) {
    double ms = 0;
    for (double v : x) {
      ms += v * v;
    }
    ms /= x.length;
    double inv = 1 / Math.sqrt(ms + c.normEps());
    double[] y = new double[x.length];
    boolean plusOne = c.normKind() == rlhf4j.policy.model.NormKind.RMS_NORM_PLUS_ONE;
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i] * inv * (plusOne ? 1 + w[i] : w[i]);
    }
    return y;
  }

  private double[] affine(String path, double[] x) {
    double[][] w = mats.get(path + ".weight");
    double[] b = vecs.get(path + ".bias");
    double[] y = new double[w.length];
    for (int o = 0; o < w.length; o++) {
      y[o] = (b == null ? 0 : b[o]) + dot(w[o], x);
    }
    return y;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static double[] slice(double[] a, int from, int len) {
    double[] y = new double[len];
    System.arraycopy(a, from, y, 0, len);
    return y;
  }

  private static double[] add(double[] a, double[] b) {
    double[] y = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      y[i] = a[i] + b[i];
    }
    return y;
  }

  static double[] vec(NDArray a) {
    float[] f = a.toFloatArray();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  static double[][] mat(NDArray a) {
    int rows = (int) a.getShape().get(0);
    int cols = (int) a.getShape().get(1);
    float[] f = a.toFloatArray();
    double[][] d = new double[rows][cols];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(toDouble(f, r * cols, cols), 0, d[r], 0, cols);
    }
    return d;
  }

  private static double[] toDouble(float[] f, int from, int len) {
    double[] d = new double[len];
    for (int i = 0; i < len; i++) {
      d[i] = f[from + i];
    }
    return d;
  }

  /** Max |oracle − actual| over the non-padded positions; actual is flat (B·T·V). */
  static double maxAbsDiff(double[][][] expected, float[] actual, int t, int v) {
    double err = 0;
    for (int b = 0; b < expected.length; b++) {
      for (int i = 0; i < t; i++) {
        if (expected[b][i] == null) {
          continue;
        }
        for (int k = 0; k < v; k++) {
          err = Math.max(err, Math.abs(expected[b][i][k] - actual[(b * t + i) * v + k]));
        }
      }
    }
    return err;
  }
}
