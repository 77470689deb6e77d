package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import java.util.List;

/**
 * Causal multi-head self-attention with optional rotary embeddings (full or partial), grouped-query
 * key/value heads and a key/value cache. The families differ in how q, k, v are projected ({@link
 * QkvLayout}), in optional per-head q/k norms (Qwen3, before RoPE) and in whether the layer sees
 * only a sliding window of keys ({@link ForwardContext#slidingBias()}).
 */
public final class Attention {
  /** How the query/key/value projections are stored. */
  public enum QkvLayout {
    /** One projection to [q | k | v] (GPT-2 c_attn). */
    FUSED,
    /** Separate q_proj, k_proj, v_proj (Llama family). */
    SEPARATE,
    /** One projection whose output is per head [q_h | k_h | v_h] (GPT-NeoX query_key_value). */
    FUSED_PER_HEAD,
    /**
     * One projection to [q (H·Dh) | k (Hkv·Dh) | v (Hkv·Dh)], grouped-query sizes (Phi-3 qkv_proj,
     * modeling_phi3.py {@code Phi3Attention.forward}).
     */
    FUSED_GQA
  }

  /** What the q/k norms normalise over. */
  public enum QkNormScope {
    /** Each head over Dh, after the head split (Qwen3: {@code q_norm(q_proj(x).view(..., Dh))}). */
    PER_HEAD,
    /** The whole projection, H·Dh wide, before the split (OLMo 2: {@code q_norm(q_proj(x))}). */
    WHOLE_PROJECTION
  }

  private final int layerIndex;
  private final QkvLayout layout;
  private final List<Linear> qkv; // 1 or 3 projections
  private final Linear out;
  private final int numHeads;
  private final int numKvHeads;
  private final int headDim;
  private final int rotaryDims; // 0 = no rotary
  private final float scale;
  private final Norm qNorm; // null for none
  private final Norm kNorm;
  private final QkNormScope qkNormScope;
  private final boolean sliding;

  /** Attention without q/k norms and with full causal attention. */
  public Attention(
      int layerIndex,
      QkvLayout layout,
      List<Linear> qkv,
      Linear out,
      int numHeads,
      int numKvHeads,
      int headDim,
      int rotaryDims,
      double scale) {
    this(
        layerIndex,
        layout,
        qkv,
        out,
        numHeads,
        numKvHeads,
        headDim,
        rotaryDims,
        scale,
        null,
        null,
        QkNormScope.PER_HEAD,
        false);
  }

  /**
   * Attention with optional q/k norms, applied after the projection and before rotary embeddings
   * (per head: Qwen3, modeling_qwen3.py {@code Qwen3Attention.forward}; over the projection: OLMo
   * 2, modeling_olmo2.py {@code Olmo2Attention.forward}), and optionally restricted to the sliding
   * window (the context's {@code slidingBias}).
   *
   * @param qNorm norm of the queries (weight (Dh) per head, or (H·Dh) over the projection), or null
   * @param kNorm norm of the keys, likewise; set with {@code qNorm} or not at all
   * @param qkNormScope what the q/k norms normalise over (separate q/k/v projections only when
   *     {@link QkNormScope#WHOLE_PROJECTION})
   * @param sliding whether this layer uses the sliding-window mask
   */
  public Attention(
      int layerIndex,
      QkvLayout layout,
      List<Linear> qkv,
      Linear out,
      int numHeads,
      int numKvHeads,
      int headDim,
      int rotaryDims,
      double scale,
      Norm qNorm,
      Norm kNorm,
      QkNormScope qkNormScope,
      boolean sliding) {
    if ((qNorm == null) != (kNorm == null)) {
      throw new IllegalArgumentException("qNorm and kNorm must be both set or both null");
    }
    if (qkNormScope == QkNormScope.WHOLE_PROJECTION && layout != QkvLayout.SEPARATE) {
      throw new IllegalArgumentException(
          "q/k norms over the whole projection need separate q/k/v projections, got " + layout);
    }
    this.qkNormScope = java.util.Objects.requireNonNull(qkNormScope, "qkNormScope");
    this.qNorm = qNorm;
    this.kNorm = kNorm;
    this.sliding = sliding;
    this.layerIndex = layerIndex;
    this.layout = layout;
    this.qkv = List.copyOf(qkv);
    this.out = out;
    this.numHeads = numHeads;
    this.numKvHeads = numKvHeads;
    this.headDim = headDim;
    this.rotaryDims = rotaryDims;
    this.scale = (float) scale;
  }

  public NDArray forward(NDArray x, ForwardContext ctx) { // x (B, T, D)
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    NDArray q;
    NDArray k;
    NDArray v;
    switch (layout) {
      case FUSED:
        {
          NDList parts = qkv.get(0).forward(x, ctx.training()).split(3, 2); // 3 × (B, T, H·Dh)
          q = parts.get(0);
          k = parts.get(1);
          v = parts.get(2);
          break;
        }
      case SEPARATE:
        q = qkv.get(0).forward(x, ctx.training()); // (B, T, H·Dh)
        k = qkv.get(1).forward(x, ctx.training()); // (B, T, Hkv·Dh)
        v = qkv.get(2).forward(x, ctx.training());
        if (qNorm != null && qkNormScope == QkNormScope.WHOLE_PROJECTION) {
          q = qNorm.forward(q);
          k = kNorm.forward(k);
        }
        break;
      case FUSED_PER_HEAD:
        {
          NDArray fused =
              qkv.get(0).forward(x, ctx.training()).reshape(b, t, numHeads, 3 * headDim);
          NDList parts = fused.split(3, 3); // 3 × (B, T, H, Dh)
          q = parts.get(0);
          k = parts.get(1);
          v = parts.get(2);
          break;
        }
      case FUSED_GQA:
        {
          long qw = (long) numHeads * headDim;
          long kw = (long) numKvHeads * headDim;
          NDList parts = qkv.get(0).forward(x, ctx.training()).split(new long[] {qw, qw + kw}, 2);
          q = parts.get(0); // (B, T, H·Dh)
          k = parts.get(1); // (B, T, Hkv·Dh)
          v = parts.get(2);
          break;
        }
      default:
        throw new IllegalStateException(layout.name());
    }
    q = q.reshape(b, t, numHeads, headDim).transpose(0, 2, 1, 3); // (B, H, T, Dh)
    k = k.reshape(b, t, numKvHeads, headDim).transpose(0, 2, 1, 3); // (B, Hkv, T, Dh)
    if (qNorm != null && qkNormScope == QkNormScope.PER_HEAD) {
      q = qNorm.forward(q); // per head over Dh
      k = kNorm.forward(k);
    }
    v = v.reshape(b, t, numKvHeads, headDim).transpose(0, 2, 1, 3); // (B, Hkv, T, Dh)
    if (rotaryDims > 0) {
      boolean local = sliding && ctx.slidingCos() != null; // Gemma 3's local RoPE base
      NDArray cos = local ? ctx.slidingCos() : ctx.cos(); // (B, 1, T, R)
      NDArray sin = local ? ctx.slidingSin() : ctx.sin();
      q = Rope.apply(q, cos, sin, rotaryDims);
      k = Rope.apply(k, cos, sin, rotaryDims);
    }
    if (ctx.cache() != null) {
      NDArray[] kv = ctx.cache().append(layerIndex, k, v); // (B, Hkv, S, Dh) each
      k = kv[0];
      v = kv[1];
    }
    if (numKvHeads != numHeads) {
      k = repeatKv(k);
      v = repeatKv(v);
    }
    NDArray scores = Scalars.mul(q.matMul(k.transpose(0, 1, 3, 2)), scale); // (B, H, T, S)
    NDArray bias = sliding ? ctx.slidingBias() : ctx.attentionBias(); // (B, 1, T, S)
    if (bias == null) {
      throw new IllegalStateException(
          "layer " + layerIndex + " slides but the context has no sliding-window bias");
    }
    NDArray probs = scores.add(bias).softmax(-1);
    NDArray y = probs.matMul(v); // (B, H, T, Dh)
    y = y.transpose(0, 2, 1, 3).reshape(b, t, (long) numHeads * headDim);
    return out.forward(y, ctx.training());
  }

  /** (B, Hkv, S, Dh) → (B, H, S, Dh): query head h uses key/value head h / groups. */
  private NDArray repeatKv(NDArray kv) {
    long[] s = kv.getShape().getShape();
    int groups = numHeads / numKvHeads;
    return kv.expandDims(2)
        .broadcast(s[0], s[1], groups, s[2], s[3])
        .reshape(s[0], (long) numHeads, s[2], s[3]);
  }

  void collectLinears(List<Linear> sink) {
    sink.addAll(qkv);
    sink.add(out);
  }

  /** Slices the first {@code n} positions of a (B, H, S, Dh) array. */
  static NDArray firstPositions(NDArray a, long n) {
    return a.get(new NDIndex(":, :, :{}", n));
  }

  static NDArray concatPositions(NDArray a, NDArray b) {
    return NDArrays.concat(new NDList(a, b), 2);
  }
}
