package rlhf4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.policy.family.Presets;

/**
 * GPT-NeoX against a slow plain-loop oracle written from the math (double precision, one token at a
 * time), independent of the NDArray code: fused per-head q|k|v, partial rotary (rotate-half),
 * causal softmax attention, parallel or sequential residual, LayerNorm, untied embed_out.
 */
class NeoxOracleTest {
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void neoxLogitsMatchPlainLoopOracle(boolean parallelResidual) {
    ModelConfig base = Presets.config("tiny-neox");
    ModelConfig c =
        base.toBuilder()
            .vocabSize(97)
            .hiddenSize(32)
            .numLayers(2)
            .numHeads(4)
            .numKvHeads(4)
            .headDim(8)
            .intermediateSize(64)
            .maxPositions(64)
            .normEps(1e-5)
            .activation(Activation.GELU)
            .ropeTheta(10000)
            .rotaryPct(0.5)
            .ropeScaling(null)
            .residual(parallelResidual ? ResidualLayout.PARALLEL : ResidualLayout.SEQUENTIAL)
            .tieWordEmbeddings(false)
            .qkvBias(true)
            .attnOutBias(true)
            .mlpBias(true)
            .scaleAttnByInverseLayerIdx(false)
            .bosTokenId(0)
            .eosTokenId(0)
            .padTokenId(-1)
            .build();
    long[] ids = {3, 50, 7, 96, 12, 0, 41};
    try (CausalLM model = CausalLM.random(c, 11);
        NDManager m = NDManager.newBaseManager()) {
      // perturb norms so they are not 1/0; scale the rest up (std 0.15) so attention matters
      for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
        if (!e.getKey().contains("norm")) {
          e.getValue().muli(7.5f);
        } else {
          e.getValue()
              .addi(m.randomNormal(0, 0.2f, e.getValue().getShape(), e.getValue().getDataType()));
        }
      }
      float[] actual =
          model.forward(m.create(ids, new Shape(1, ids.length)), null).logits().toFloatArray();
      double[][] expected = oracle(c, model.parameters(), ids);
      double err = 0;
      for (int t = 0; t < ids.length; t++) {
        for (int v = 0; v < c.vocabSize(); v++) {
          err = Math.max(err, Math.abs(expected[t][v] - actual[t * c.vocabSize() + v]));
        }
      }
      System.out.printf("neox oracle (parallel=%s): max |logit err| %.3g%n", parallelResidual, err);
      assertTrue(err < 1e-4, "max abs error " + err);
    }
  }

  private static double[][] oracle(ModelConfig c, Map<String, NDArray> p, long[] ids) {
    int d = c.hiddenSize();
    int h = c.numHeads();
    int dh = c.headDim();
    int rot = c.rotaryDims();
    int n = ids.length;
    double[][] emb = mat(p.get("gpt_neox.embed_in.weight"));
    double[][] x = new double[n][];
    for (int t = 0; t < n; t++) {
      x[t] = emb[(int) ids[t]].clone();
    }
    for (int l = 0; l < c.numLayers(); l++) {
      String pre = "gpt_neox.layers." + l;
      double[][] a = new double[n][];
      for (int t = 0; t < n; t++) {
        a[t] =
            layerNorm(
                x[t],
                vec(p.get(pre + ".input_layernorm.weight")),
                vec(p.get(pre + ".input_layernorm.bias")),
                c.normEps());
      }
      double[][] wqkv = mat(p.get(pre + ".attention.query_key_value.weight"));
      double[] bqkv = vec(p.get(pre + ".attention.query_key_value.bias"));
      double[][][] q = new double[h][n][dh];
      double[][][] k = new double[h][n][dh];
      double[][][] v = new double[h][n][dh];
      for (int t = 0; t < n; t++) {
        double[] qkv = affine(wqkv, bqkv, a[t]);
        for (int hh = 0; hh < h; hh++) {
          for (int i = 0; i < dh; i++) {
            q[hh][t][i] = qkv[hh * 3 * dh + i];
            k[hh][t][i] = qkv[hh * 3 * dh + dh + i];
            v[hh][t][i] = qkv[hh * 3 * dh + 2 * dh + i];
          }
          rotate(q[hh][t], t, rot, c.ropeTheta());
          rotate(k[hh][t], t, rot, c.ropeTheta());
        }
      }
      double[][] attnOut = new double[n][h * dh];
      for (int hh = 0; hh < h; hh++) {
        for (int t = 0; t < n; t++) {
          double[] s = new double[t + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= t; j++) {
            double dot = 0;
            for (int i = 0; i < dh; i++) {
              dot += q[hh][t][i] * k[hh][j][i];
            }
            s[j] = dot / Math.sqrt(dh);
            max = Math.max(max, s[j]);
          }
          double z = 0;
          for (int j = 0; j <= t; j++) {
            s[j] = Math.exp(s[j] - max);
            z += s[j];
          }
          for (int j = 0; j <= t; j++) {
            for (int i = 0; i < dh; i++) {
              attnOut[t][hh * dh + i] += s[j] / z * v[hh][j][i];
            }
          }
        }
      }
      double[][] wo = mat(p.get(pre + ".attention.dense.weight"));
      double[] bo = vec(p.get(pre + ".attention.dense.bias"));
      double[][] next = new double[n][];
      for (int t = 0; t < n; t++) {
        double[] attn = affine(wo, bo, attnOut[t]);
        double[] afterAttn = add(x[t], attn);
        double[] mlpIn =
            parallelResidualInput(c, p, pre, parallelResidualFlag(c) ? x[t] : afterAttn);
        double[] mlp = mlp(p, pre, mlpIn);
        next[t] = add(afterAttn, mlp);
      }
      x = next;
    }
    double[][] wout = mat(p.get("embed_out.weight"));
    double[][] logits = new double[n][];
    for (int t = 0; t < n; t++) {
      double[] hfin =
          layerNorm(
              x[t],
              vec(p.get("gpt_neox.final_layer_norm.weight")),
              vec(p.get("gpt_neox.final_layer_norm.bias")),
              c.normEps());
      logits[t] = affine(wout, null, hfin);
    }
    return logits;
  }

  private static boolean parallelResidualFlag(ModelConfig c) {
    return c.residual() == ResidualLayout.PARALLEL;
  }

  private static double[] parallelResidualInput(
      ModelConfig c, Map<String, NDArray> p, String pre, double[] in) {
    return layerNorm(
        in,
        vec(p.get(pre + ".post_attention_layernorm.weight")),
        vec(p.get(pre + ".post_attention_layernorm.bias")),
        c.normEps());
  }

  private static double[] mlp(Map<String, NDArray> p, String pre, double[] in) {
    double[] hid =
        affine(
            mat(p.get(pre + ".mlp.dense_h_to_4h.weight")),
            vec(p.get(pre + ".mlp.dense_h_to_4h.bias")),
            in);
    for (int i = 0; i < hid.length; i++) {
      hid[i] = 0.5 * hid[i] * (1 + erf(hid[i] / Math.sqrt(2)));
    }
    return affine(
        mat(p.get(pre + ".mlp.dense_4h_to_h.weight")),
        vec(p.get(pre + ".mlp.dense_4h_to_h.bias")),
        hid);
  }

  /** Rotate-half rotary on the first {@code rot} dims at position {@code pos}. */
  private static void rotate(double[] x, int pos, int rot, double theta) {
    int half = rot / 2;
    double[] out = x.clone();
    for (int i = 0; i < half; i++) {
      double freq = pos / Math.pow(theta, 2.0 * i / rot);
      double cos = Math.cos(freq);
      double sin = Math.sin(freq);
      out[i] = x[i] * cos - x[i + half] * sin;
      out[i + half] = x[i + half] * cos + x[i] * sin;
    }
    System.arraycopy(out, 0, x, 0, rot);
  }

  private static double erf(double z) {
    return org.apache.commons.math3.special.Erf.erf(z);
  }

  private static double[] layerNorm(double[] x, double[] w, double[] b, double eps) {
    double mean = 0;
    for (double v : x) {
      mean += v;
    }
    mean /= x.length;
    double var = 0;
    for (double v : x) {
      var += (v - mean) * (v - mean);
    }
    var /= x.length;
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = (x[i] - mean) / Math.sqrt(var + eps) * w[i] + b[i];
    }
    return y;
  }

  private static double[] affine(double[][] w, double[] b, double[] x) {
    double[] y = new double[w.length];
    for (int o = 0; o < w.length; o++) {
      double s = b == null ? 0 : b[o];
      for (int i = 0; i < x.length; i++) {
        s += w[o][i] * x[i];
      }
      y[o] = s;
    }
    return y;
  }

  private static double[] add(double[] a, double[] b) {
    double[] y = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      y[i] = a[i] + b[i];
    }
    return y;
  }

  private static double[] vec(NDArray a) {
    float[] f = a.toFloatArray();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  private static double[][] mat(NDArray a) {
    int rows = (int) a.getShape().get(0);
    int cols = (int) a.getShape().get(1);
    float[] f = a.toFloatArray();
    double[][] d = new double[rows][cols];
    for (int r = 0; r < rows; r++) {
      for (int col = 0; col < cols; col++) {
        d[r][col] = f[r * cols + col];
      }
    }
    return d;
  }
}
