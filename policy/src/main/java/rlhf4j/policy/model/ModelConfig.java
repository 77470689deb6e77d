package rlhf4j.policy.model;

import java.util.Objects;

/**
 * Shape and numerics of a decoder-only transformer, independent of HF's JSON names (those live in
 * {@link HfConfig}).
 *
 * @param family architecture family
 * @param modelType HF {@code model_type} (e.g. gpt2, llama, mistral, qwen2, gpt_neox)
 * @param vocabSize vocabulary size V
 * @param hiddenSize model width D
 * @param numLayers number of blocks
 * @param numHeads attention heads H
 * @param numKvHeads key/value heads (grouped-query attention); equals numHeads without GQA
 * @param headDim per-head width
 * @param intermediateSize MLP inner width
 * @param maxPositions maximum sequence length (learned position table size for GPT-2)
 * @param normEps epsilon of LayerNorm / RMSNorm
 * @param activation MLP activation: gelu_new, gelu_pytorch_tanh, gelu, silu, relu
 * @param ropeTheta rotary base (ignored by GPT-2)
 * @param rotaryPct fraction of each head's dimensions that get rotary embeddings (GPT-NeoX)
 * @param ropeScaling optional rotary scaling, null for none
 * @param parallelResidual GPT-NeoX parallel attention + MLP residual
 * @param tieWordEmbeddings LM head shares the token embedding matrix
 * @param qkvBias query/key/value projections have biases (GPT-2, Qwen2, GPT-NeoX)
 * @param attnOutBias attention output projection has a bias
 * @param mlpBias MLP projections have biases
 * @param scaleAttnByInverseLayerIdx GPT-2 option: divide attention scores by (layer index + 1)
 * @param bosTokenId beginning-of-sequence id, -1 if none
 * @param eosTokenId end-of-sequence id, -1 if none
 * @param padTokenId padding id, -1 if none
 */
public record ModelConfig(
    Family family,
    String modelType,
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int intermediateSize,
    int maxPositions,
    double normEps,
    String activation,
    double ropeTheta,
    double rotaryPct,
    RopeScaling ropeScaling,
    boolean parallelResidual,
    boolean tieWordEmbeddings,
    boolean qkvBias,
    boolean attnOutBias,
    boolean mlpBias,
    boolean scaleAttnByInverseLayerIdx,
    int bosTokenId,
    int eosTokenId,
    int padTokenId) {

  public ModelConfig {
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(modelType, "modelType");
    positive("vocabSize", vocabSize);
    positive("hiddenSize", hiddenSize);
    positive("numLayers", numLayers);
    positive("numHeads", numHeads);
    positive("numKvHeads", numKvHeads);
    positive("headDim", headDim);
    positive("intermediateSize", intermediateSize);
    positive("maxPositions", maxPositions);
    if (numHeads % numKvHeads != 0) {
      throw new IllegalArgumentException(
          "numHeads ("
              + numHeads
              + ") must be a multiple of numKvHeads ("
              + numKvHeads
              + ") for grouped-query attention");
    }
    if (family == Family.GPT2 && numHeads * headDim != hiddenSize) {
      throw new IllegalArgumentException(
          "GPT-2 needs hiddenSize divisible by numHeads, got " + hiddenSize + " and " + numHeads);
    }
    if (!(normEps > 0)) {
      throw new IllegalArgumentException("normEps must be > 0, got " + normEps);
    }
    if (!(rotaryPct > 0 && rotaryPct <= 1)) {
      throw new IllegalArgumentException("rotaryPct must be in (0, 1], got " + rotaryPct);
    }
    if (family != Family.GPT2 && rotaryDims(headDim, rotaryPct) % 2 != 0) {
      throw new IllegalArgumentException(
          "rotary dimensions (headDim x rotaryPct = "
              + rotaryDims(headDim, rotaryPct)
              + ") must be even");
    }
    Activations.check(activation);
  }

  private static void positive(String field, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException(field + " must be > 0, got " + v);
    }
  }

  private static int rotaryDims(int headDim, double pct) {
    return (int) (headDim * pct);
  }

  /** Dimensions of each head that get rotary embeddings. */
  public int rotaryDims() {
    return rotaryDims(headDim, rotaryPct);
  }

  /** Number of query heads sharing one key/value head. */
  public int kvGroups() {
    return numHeads / numKvHeads;
  }

  /** A copy with different special token ids. */
  public ModelConfig withSpecialTokens(int bos, int eos, int pad) {
    return toBuilder().bosTokenId(bos).eosTokenId(eos).padTokenId(pad).build();
  }

  /** A builder starting from this config, for copies that change a few fields. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Copies a config with some fields changed; validation runs in {@link #build()}. */
  public static final class Builder {
    private Family family;
    private String modelType;
    private int vocabSize;
    private int hiddenSize;
    private int numLayers;
    private int numHeads;
    private int numKvHeads;
    private int headDim;
    private int intermediateSize;
    private int maxPositions;
    private double normEps;
    private String activation;
    private double ropeTheta;
    private double rotaryPct;
    private RopeScaling ropeScaling;
    private boolean parallelResidual;
    private boolean tieWordEmbeddings;
    private boolean qkvBias;
    private boolean attnOutBias;
    private boolean mlpBias;
    private boolean scaleAttnByInverseLayerIdx;
    private int bosTokenId;
    private int eosTokenId;
    private int padTokenId;

    private Builder(ModelConfig c) {
      this.family = c.family();
      this.modelType = c.modelType();
      this.vocabSize = c.vocabSize();
      this.hiddenSize = c.hiddenSize();
      this.numLayers = c.numLayers();
      this.numHeads = c.numHeads();
      this.numKvHeads = c.numKvHeads();
      this.headDim = c.headDim();
      this.intermediateSize = c.intermediateSize();
      this.maxPositions = c.maxPositions();
      this.normEps = c.normEps();
      this.activation = c.activation();
      this.ropeTheta = c.ropeTheta();
      this.rotaryPct = c.rotaryPct();
      this.ropeScaling = c.ropeScaling();
      this.parallelResidual = c.parallelResidual();
      this.tieWordEmbeddings = c.tieWordEmbeddings();
      this.qkvBias = c.qkvBias();
      this.attnOutBias = c.attnOutBias();
      this.mlpBias = c.mlpBias();
      this.scaleAttnByInverseLayerIdx = c.scaleAttnByInverseLayerIdx();
      this.bosTokenId = c.bosTokenId();
      this.eosTokenId = c.eosTokenId();
      this.padTokenId = c.padTokenId();
    }

    public Builder family(Family v) {
      this.family = v;
      return this;
    }

    public Builder modelType(String v) {
      this.modelType = v;
      return this;
    }

    public Builder vocabSize(int v) {
      this.vocabSize = v;
      return this;
    }

    public Builder hiddenSize(int v) {
      this.hiddenSize = v;
      return this;
    }

    public Builder numLayers(int v) {
      this.numLayers = v;
      return this;
    }

    public Builder numHeads(int v) {
      this.numHeads = v;
      return this;
    }

    public Builder numKvHeads(int v) {
      this.numKvHeads = v;
      return this;
    }

    public Builder headDim(int v) {
      this.headDim = v;
      return this;
    }

    public Builder intermediateSize(int v) {
      this.intermediateSize = v;
      return this;
    }

    public Builder maxPositions(int v) {
      this.maxPositions = v;
      return this;
    }

    public Builder normEps(double v) {
      this.normEps = v;
      return this;
    }

    public Builder activation(String v) {
      this.activation = v;
      return this;
    }

    public Builder ropeTheta(double v) {
      this.ropeTheta = v;
      return this;
    }

    public Builder rotaryPct(double v) {
      this.rotaryPct = v;
      return this;
    }

    public Builder ropeScaling(RopeScaling v) {
      this.ropeScaling = v;
      return this;
    }

    public Builder parallelResidual(boolean v) {
      this.parallelResidual = v;
      return this;
    }

    public Builder tieWordEmbeddings(boolean v) {
      this.tieWordEmbeddings = v;
      return this;
    }

    public Builder qkvBias(boolean v) {
      this.qkvBias = v;
      return this;
    }

    public Builder attnOutBias(boolean v) {
      this.attnOutBias = v;
      return this;
    }

    public Builder mlpBias(boolean v) {
      this.mlpBias = v;
      return this;
    }

    public Builder scaleAttnByInverseLayerIdx(boolean v) {
      this.scaleAttnByInverseLayerIdx = v;
      return this;
    }

    public Builder bosTokenId(int v) {
      this.bosTokenId = v;
      return this;
    }

    public Builder eosTokenId(int v) {
      this.eosTokenId = v;
      return this;
    }

    public Builder padTokenId(int v) {
      this.padTokenId = v;
      return this;
    }

    public ModelConfig build() {
      return new ModelConfig(
          family,
          modelType,
          vocabSize,
          hiddenSize,
          numLayers,
          numHeads,
          numKvHeads,
          headDim,
          intermediateSize,
          maxPositions,
          normEps,
          activation,
          ropeTheta,
          rotaryPct,
          ropeScaling,
          parallelResidual,
          tieWordEmbeddings,
          qkvBias,
          attnOutBias,
          mlpBias,
          scaleAttnByInverseLayerIdx,
          bosTokenId,
          eosTokenId,
          padTokenId);
    }
  }
}
