package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A decoder-only transformer language model (GPT-2, Llama family, GPT-NeoX) written with DJL
 * NDArray ops, trainable with autograd. Parameters are kept under their HF state-dict names in
 * rlhf4j's layout (Linear weights (out, in)); {@link rlhf4j.policy.hf.HfCheckpoint} converts at the
 * file edge. The model owns its parameters' manager: close it to free them.
 *
 * <p>Shapes: B sequences, T new positions, S = cached + T key positions, D width, V vocabulary.
 */
public final class CausalLM implements AutoCloseable {
  /** Negative bias that masks a key; the most negative float, as HF uses. */
  private static final float MASKED = -Float.MAX_VALUE;

  /**
   * Outputs of one forward pass.
   *
   * @param hidden last hidden state after the final norm // (B, T, D)
   * @param logits next-token logits, null if not requested // (B, T, V)
   */
  public record Output(NDArray hidden, NDArray logits) {}

  private final ModelConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> parameters; // HF name → array, rlhf4j layout
  private final List<ParamSpec> specs;
  private final NDArray tokenEmbedding; // (V, D)
  private final NDArray positionEmbedding; // (P, D) or null
  private final List<Block> blocks = new ArrayList<>();
  private final Norm finalNorm;
  private final NDArray lmHead; // (V, D)
  private final Linear
      lmHeadLinear; // lmHead as a module LoRA can target (path lm_head / embed_out)
  private final List<String> finalNormNames;
  private final float[] invFreq; // null without rotary
  private final List<Linear> linears = new ArrayList<>();

  /**
   * Builds a model from parameters named and shaped as {@link #parameterSpecs(ModelConfig)} says;
   * the arrays must live in {@code manager}, which the model then owns.
   */
  public CausalLM(ModelConfig config, NDManager manager, Map<String, NDArray> parameters) {
    this.config = config;
    this.manager = manager;
    Architecture arch = Architecture.of(config.family());
    this.specs = arch.parameters(config);
    Map<String, NDArray> p = new LinkedHashMap<>();
    for (ParamSpec s : specs) {
      NDArray a = parameters.get(s.name());
      if (a == null) {
        throw new IllegalArgumentException("missing parameter " + s.name());
      }
      if (!a.getShape().equals(new Shape(s.shape()))) {
        throw new IllegalArgumentException(
            "parameter "
                + s.name()
                + " has shape "
                + a.getShape()
                + ", expected "
                + new Shape(s.shape()));
      }
      p.put(s.name(), a);
    }
    this.parameters = Collections.unmodifiableMap(p);
    this.tokenEmbedding = p.get(arch.tokenEmbedding());
    this.positionEmbedding =
        arch.positionEmbedding() == null ? null : p.get(arch.positionEmbedding());
    for (int i = 0; i < config.numLayers(); i++) {
      Block b = arch.block(config, i, p);
      blocks.add(b);
      b.collectLinears(linears);
    }
    String[] fn = arch.finalNorm();
    this.finalNorm =
        fn[1] == null
            ? Norm.rmsNorm(p.get(fn[0]), config.normEps())
            : Norm.layerNorm(p.get(fn[0]), p.get(fn[1]), config.normEps());
    this.lmHead = config.tieWordEmbeddings() ? tokenEmbedding : p.get(arch.lmHead());
    String head = arch.lmHead();
    this.lmHeadLinear =
        new Linear(head.substring(0, head.length() - ".weight".length()), lmHead, null, false);
    this.finalNormNames = fn[1] == null ? List.of(fn[0]) : List.of(fn[0], fn[1]);
    this.invFreq =
        config.family() == Family.GPT2
            ? null
            : Rope.inverseFrequencies(
                config.rotaryDims(), config.ropeTheta(), config.ropeScaling());
  }

  /** The parameters a model of {@code config} has, in a stable order. */
  public static List<ParamSpec> parameterSpecs(ModelConfig config) {
    return Architecture.of(config.family()).parameters(config);
  }

  /** Checkpoint keys that are buffers rather than parameters for this family. */
  public static java.util.function.Predicate<String> ignoredCheckpointKeys(ModelConfig config) {
    return Architecture.of(config.family()).ignoredKeys();
  }

  /** The backbone prefix of the family's HF state dict (e.g. {@code transformer.}). */
  public static String backbonePrefix(ModelConfig config) {
    return Architecture.of(config.family()).backbonePrefix();
  }

  /**
   * A freshly initialised model (HF-style init: normal(0, 0.02), norms 1, biases 0), seeded from
   * Java so the same seed gives the same weights on every machine.
   */
  public static CausalLM random(ModelConfig config, long seed) {
    NDManager manager = NDManager.newBaseManager();
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, NDArray> p = new LinkedHashMap<>();
    for (ParamSpec s : parameterSpecs(config)) {
      Shape shape = new Shape(s.shape());
      NDArray a;
      switch (s.init()) {
        case ONES:
          a = manager.ones(shape);
          break;
        case ZEROS:
          a = manager.zeros(shape);
          break;
        default:
          float[] v = new float[Math.toIntExact(shape.size())];
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) (gaussian(rng) * s.std());
          }
          a = manager.create(v, shape);
      }
      p.put(s.name(), a);
    }
    return new CausalLM(config, manager, p);
  }

  private static double gaussian(SplittableRandom rng) {
    // Box-Muller; SplittableRandom has no nextGaussian on Java 17
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Forward over a full batch without cache. */
  public Output forward(NDArray inputIds, NDArray attentionMask) {
    return forward(inputIds, attentionMask, null, false, true);
  }

  /**
   * One forward pass.
   *
   * @param inputIds token ids // (B, T) int64
   * @param attentionMask 1 for real tokens, 0 for padding, over cached + new positions, or null for
   *     all ones // (B, S)
   * @param cache key/value cache (prefill or decode), or null
   * @param training enables adapter dropout
   * @param computeLogits whether to apply the LM head
   */
  public Output forward(
      NDArray inputIds,
      NDArray attentionMask,
      KvCache cache,
      boolean training,
      boolean computeLogits) {
    long b = inputIds.getShape().get(0);
    long t = inputIds.getShape().get(1);
    long past = cache == null ? 0 : cache.length();
    long s = past + t;
    NDManager m = inputIds.getManager();
    NDArray mask =
        attentionMask == null
            ? m.ones(new Shape(b, s), DataType.INT64)
            : attentionMask.toType(DataType.INT64, false);
    if (mask.getShape().get(0) != b || mask.getShape().get(1) != s) {
      throw new IllegalArgumentException(
          "attentionMask has shape " + mask.getShape() + ", expected (" + b + ", " + s + ")");
    }
    NDArray positions = positionIds(mask, t); // (B, T)
    NDArray x =
        Embedding.embedding(inputIds, tokenEmbedding, SparseFormat.DENSE).singletonOrThrow();
    if (positionEmbedding != null) {
      long maxPos = positions.max().getLong();
      if (maxPos >= config.maxPositions()) {
        throw new IllegalArgumentException(
            "position "
                + maxPos
                + " is past the model's "
                + config.maxPositions()
                + " learned positions; shorten the sequence");
      }
      x =
          x.add(
              Embedding.embedding(positions, positionEmbedding, SparseFormat.DENSE)
                  .singletonOrThrow());
    }
    NDArray cos = null;
    NDArray sin = null;
    if (invFreq != null) {
      NDArray[] cs = Rope.cosSin(m, positions, invFreq);
      cos = cs[0];
      sin = cs[1];
    }
    ForwardContext ctx = new ForwardContext(attentionBias(mask, t), cos, sin, cache, training);
    for (Block block : blocks) {
      x = block.forward(x, ctx);
    }
    if (cache != null) {
      cache.advance();
    }
    NDArray hidden = finalNorm.forward(x);
    NDArray logits = computeLogits ? lmHeadLinear.forward(hidden, training) : null;
    return new Output(hidden, logits);
  }

  /**
   * Forward over [query | response] sequences, returning the states that predict the response:
   * positions P−1 … S−2, so entry t is the state before emitting response token t, and its logits
   * score that token. The LM head runs on those T positions only.
   *
   * @param ids left-padded queries of width P then right-padded responses // (B, S = P + T)
   * @param mask attention mask // (B, S)
   * @param queryWidth P
   * @param training enables adapter dropout
   * @return hidden // (B, T, D) and logits // (B, T, V)
   */
  public Output forwardResponse(NDArray ids, NDArray mask, int queryWidth, boolean training) {
    long s = ids.getShape().get(1);
    if (queryWidth < 1 || queryWidth >= s) {
      throw new IllegalArgumentException(
          "queryWidth must be in [1, " + (s - 1) + "], got " + queryWidth);
    }
    Output full = forward(ids, mask, null, training, false);
    NDArray hidden = full.hidden().get(new NDIndex(":, {}:{}, :", queryWidth - 1, s - 1));
    return new Output(hidden, lmHeadLinear.forward(hidden, training));
  }

  /** Logits from a hidden state // (B, T, D) → (B, T, V). */
  public NDArray logits(NDArray hidden) {
    return lmHeadLinear.forward(hidden, false);
  }

  /**
   * Position ids from the attention mask: cumsum(mask) − 1 (left padding shifts them), pads at 0;
   * the last {@code t} columns. // (B, S) → (B, T)
   */
  public static NDArray positionIds(NDArray mask, long t) {
    NDArray pos = mask.cumSum(1).sub(1).maximum(0);
    long s = mask.getShape().get(1);
    return t == s ? pos : pos.get(new NDIndex(":, {}:", s - t));
  }

  /**
   * Additive attention bias: query i (at absolute position S−T+i) may see key j iff j ≤ S−T+i and
   * key j is not padding. // (B, S) → (B, 1, T, S)
   */
  static NDArray attentionBias(NDArray mask, long t) {
    NDManager m = mask.getManager();
    long s = mask.getShape().get(1);
    NDArray keyPos = m.arange(0, s, 1, DataType.INT64).reshape(1, s); // (1, S)
    NDArray queryPos = m.arange(s - t, s, 1, DataType.INT64).reshape(t, 1); // (T, 1)
    NDArray causal = keyPos.lte(queryPos); // (T, S)
    NDArray keep =
        mask.gt(0).reshape(mask.getShape().get(0), 1, 1, s).logicalAnd(causal); // (B,1,T,S)
    return keep.logicalNot().toType(DataType.FLOAT32, false).mul(MASKED);
  }

  public ModelConfig config() {
    return config;
  }

  /** The manager that owns the parameters. */
  public NDManager manager() {
    return manager;
  }

  /** All base parameters by HF name, rlhf4j layout (Linear weights (out, in)). */
  public Map<String, NDArray> parameters() {
    return parameters;
  }

  /** Specs of the base parameters in order. */
  public List<ParamSpec> specs() {
    return specs;
  }

  /** Every linear projection in the blocks (attention and MLP), in order; LoRA targets these. */
  public List<Linear> linears() {
    return Collections.unmodifiableList(linears);
  }

  /**
   * The LM head as a {@link Linear} (HF path {@code lm_head}, or {@code embed_out} for GPT-NeoX);
   * its weight is the token embedding when {@link ModelConfig#tieWordEmbeddings()}. Not part of
   * {@link #linears()}: LoRA targets it only when named.
   */
  public Linear lmHead() {
    return lmHeadLinear;
  }

  /** HF names of the final norm's parameters (weight, and bias for LayerNorm). */
  public List<String> finalNormParameterNames() {
    return finalNormNames;
  }

  /** Number of base parameters (tied weights counted once). */
  public long parameterCount() {
    long n = 0;
    for (NDArray a : parameters.values()) {
      n += a.size();
    }
    return n;
  }

  /** Bytes held by base parameters. */
  public long parameterBytes() {
    long n = 0;
    for (NDArray a : parameters.values()) {
      n += a.size() * a.getDataType().getNumOfBytes();
    }
    return n;
  }

  /** Freezes (or unfreezes) every base parameter. */
  public void setBaseTrainable(boolean trainable) {
    for (NDArray a : parameters.values()) {
      a.setRequiresGradient(trainable);
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
