package rlhf4j.policy.model;

import java.util.List;
import java.util.Objects;

/**
 * Shape and numerics of a decoder-only transformer, independent of HF's JSON names (those live in
 * {@code rlhf4j.policy.hf.HfConfig} and the family's {@code Architecture}). Build one with {@link
 * #builder(Family)}, which starts from the family's documented defaults (those of its HF config
 * class, e.g. {@code GPT2Config()}); {@link #toBuilder()} copies one with a few fields changed.
 *
 * @param family architecture family (see {@code rlhf4j.policy.family.Architectures})
 * @param modelType HF {@code model_type}, one of the family's {@link Family#modelTypes()}
 * @param vocabSize vocabulary size V
 * @param hiddenSize model width D
 * @param numLayers number of blocks
 * @param numHeads attention heads H
 * @param numKvHeads key/value heads (grouped-query attention); equals numHeads without GQA
 * @param headDim per-head width
 * @param intermediateSize MLP inner width
 * @param maxPositions maximum sequence length (learned position table size for GPT-2)
 * @param normEps epsilon of LayerNorm / RMSNorm
 * @param activation MLP activation
 * @param ropeTheta rotary base (ignored with learned positions)
 * @param rotaryPct fraction of each head's dimensions that get rotary embeddings (GPT-NeoX)
 * @param ropeScaling optional rotary scaling, null for none
 * @param residual how attention and MLP join the residual stream
 * @param tieWordEmbeddings LM head shares the token embedding matrix
 * @param qkvBias query/key/value projections have biases (GPT-2, Qwen2, GPT-NeoX)
 * @param attnOutBias attention output projection has a bias
 * @param mlpBias MLP projections have biases
 * @param scaleAttnByInverseLayerIdx GPT-2 option: divide attention scores by (layer index + 1)
 * @param bosTokenId beginning-of-sequence id, -1 if none
 * @param eosTokenId end-of-sequence id, -1 if none
 * @param padTokenId padding id, -1 if none
 * @param slidingWindow how many positions (the query's own included) a {@link
 *     AttentionType#SLIDING} layer sees; 0 when no layer slides
 * @param layerTypes each layer's attention type (HF {@code layer_types}); empty means all {@link
 *     AttentionType#FULL}
 * @param slidingRopeTheta rotary base of the sliding layers, without rope scaling (Gemma 3's {@code
 *     rope_local_base_freq}); 0 when they use {@code ropeTheta} like the others
 * @param queryPreAttnScalar queries are scaled by queryPreAttnScalar^-0.5 before the dot product
 *     (Gemma 3's {@code query_pre_attn_scalar}); 0 means headDim, the usual headDim^-0.5
 * @param attnLogitSoftcap the checkpoint's attention-score soft cap (Gemma's {@code
 *     attn_logit_softcapping}), kept so that saving writes it back; 0 for none. Whether a family
 *     applies it is the family's rule: transformers' Gemma3Attention does not
 * @param finalLogitSoftcap logits become {@code cap · tanh(logits / cap)} (Gemma's {@code
 *     final_logit_softcapping}); 0 for none
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
    Activation activation,
    double ropeTheta,
    double rotaryPct,
    RopeScaling ropeScaling,
    ResidualLayout residual,
    boolean tieWordEmbeddings,
    boolean qkvBias,
    boolean attnOutBias,
    boolean mlpBias,
    boolean scaleAttnByInverseLayerIdx,
    int bosTokenId,
    int eosTokenId,
    int padTokenId,
    int slidingWindow,
    List<AttentionType> layerTypes,
    double slidingRopeTheta,
    double queryPreAttnScalar,
    double attnLogitSoftcap,
    double finalLogitSoftcap) {

  /** Checks every field, then the family's own rules ({@link Family#validate}). */
  public ModelConfig(
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
      Activation activation,
      double ropeTheta,
      double rotaryPct,
      RopeScaling ropeScaling,
      ResidualLayout residual,
      boolean tieWordEmbeddings,
      boolean qkvBias,
      boolean attnOutBias,
      boolean mlpBias,
      boolean scaleAttnByInverseLayerIdx,
      int bosTokenId,
      int eosTokenId,
      int padTokenId,
      int slidingWindow,
      List<AttentionType> layerTypes,
      double slidingRopeTheta,
      double queryPreAttnScalar,
      double attnLogitSoftcap,
      double finalLogitSoftcap) {
    Objects.requireNonNull(family, "family must be set");
    Objects.requireNonNull(modelType, "modelType must be set");
    Objects.requireNonNull(activation, "activation must be set");
    Objects.requireNonNull(residual, "residual must be set");
    if (!family.modelTypes().contains(modelType)) {
      throw new IllegalArgumentException(
          "modelType must be one of family "
              + family.name()
              + "'s "
              + family.modelTypes()
              + ", got '"
              + modelType
              + "'");
    }
    Objects.requireNonNull(layerTypes, "layerTypes must be set (empty for all full attention)");
    this.family = family;
    this.modelType = modelType;
    this.vocabSize = vocabSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.numHeads = numHeads;
    this.numKvHeads = numKvHeads;
    this.headDim = headDim;
    this.intermediateSize = intermediateSize;
    this.maxPositions = maxPositions;
    this.normEps = normEps;
    this.activation = activation;
    this.ropeTheta = ropeTheta;
    this.rotaryPct = rotaryPct;
    this.ropeScaling = ropeScaling;
    this.residual = residual;
    this.tieWordEmbeddings = tieWordEmbeddings;
    this.qkvBias = qkvBias;
    this.attnOutBias = attnOutBias;
    this.mlpBias = mlpBias;
    this.scaleAttnByInverseLayerIdx = scaleAttnByInverseLayerIdx;
    this.bosTokenId = bosTokenId;
    this.eosTokenId = eosTokenId;
    this.padTokenId = padTokenId;
    this.slidingWindow = slidingWindow;
    this.layerTypes = List.copyOf(layerTypes);
    this.slidingRopeTheta = slidingRopeTheta;
    this.queryPreAttnScalar = queryPreAttnScalar;
    this.attnLogitSoftcap = attnLogitSoftcap;
    this.finalLogitSoftcap = finalLogitSoftcap;
    ModelConfigChecks.fields(this);
    family.validate(this);
    ModelConfigChecks.longRope(this);
  }

  private static int rotaryDims(int headDim, double pct) {
    return (int) (headDim * pct);
  }

  /** Dimensions of each head that get rotary embeddings (used with rotary positions only). */
  public int rotaryDims() {
    return rotaryDims(headDim, rotaryPct);
  }

  /** The factor attention scores are multiplied by: queryPreAttnScalar^-0.5, else headDim^-0.5. */
  public double attentionScale() {
    return 1.0 / Math.sqrt(queryPreAttnScalar > 0 ? queryPreAttnScalar : headDim);
  }

  /** Whether layer {@code layer} attends only to the last {@link #slidingWindow()} positions. */
  public boolean slidingLayer(int layer) {
    return !layerTypes.isEmpty() && layerTypes.get(layer) == AttentionType.SLIDING;
  }

  /** Whether any layer uses sliding-window attention. */
  public boolean hasSlidingLayers() {
    return layerTypes.contains(AttentionType.SLIDING);
  }

  /** Number of query heads sharing one key/value head. */
  public int kvGroups() {
    return numHeads / numKvHeads;
  }

  /** The family's norm. */
  public NormKind normKind() {
    return family.normKind();
  }

  /** The family's position encoding. */
  public PositionKind positionKind() {
    return family.positionKind();
  }

  /** A copy with different special token ids. */
  public ModelConfig withSpecialTokens(int bos, int eos, int pad) {
    return toBuilder().bosTokenId(bos).eosTokenId(eos).padTokenId(pad).build();
  }

  /** A builder starting from this config, for copies that change a few fields. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * A builder starting from {@code family}'s documented defaults (its HF config class's); {@code
   * headDim}, {@code numKvHeads} and {@code intermediateSize} left unset follow the other fields
   * (hiddenSize / numHeads, numHeads, 4 · hiddenSize) as HF derives them.
   */
  public static Builder builder(Family family) {
    return family.defaults(new Builder(family));
  }

  /**
   * Builds a {@link ModelConfig}; validation runs in {@link #build()}. Setters take the record
   * components' meanings (see {@link ModelConfig}).
   */
  public static final class Builder {
    private final Family family;
    private String modelType;
    private int vocabSize;
    private int hiddenSize;
    private int numLayers;
    private int numHeads;
    private Integer numKvHeads;
    private Integer headDim;
    private Integer intermediateSize;
    private int maxPositions;
    private double normEps;
    private Activation activation;
    private double ropeTheta;
    private double rotaryPct;
    private RopeScaling ropeScaling;
    private ResidualLayout residual;
    private boolean tieWordEmbeddings;
    private boolean qkvBias;
    private boolean attnOutBias;
    private boolean mlpBias;
    private boolean scaleAttnByInverseLayerIdx;
    private int bosTokenId;
    private int eosTokenId;
    private int padTokenId;
    private int slidingWindow;
    private List<AttentionType> layerTypes = List.of();
    private double slidingRopeTheta;
    private double queryPreAttnScalar;
    private double attnLogitSoftcap;
    private double finalLogitSoftcap;

    private Builder(Family family) {
      this.family = Objects.requireNonNull(family, "family must be set");
      this.modelType = family.modelTypes().get(0);
      this.rotaryPct = 1.0;
      this.residual = ResidualLayout.SEQUENTIAL;
      this.bosTokenId = -1;
      this.eosTokenId = -1;
      this.padTokenId = -1;
    }

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
      this.residual = c.residual();
      this.tieWordEmbeddings = c.tieWordEmbeddings();
      this.qkvBias = c.qkvBias();
      this.attnOutBias = c.attnOutBias();
      this.mlpBias = c.mlpBias();
      this.scaleAttnByInverseLayerIdx = c.scaleAttnByInverseLayerIdx();
      this.bosTokenId = c.bosTokenId();
      this.eosTokenId = c.eosTokenId();
      this.padTokenId = c.padTokenId();
      this.slidingWindow = c.slidingWindow();
      this.layerTypes = c.layerTypes();
      this.slidingRopeTheta = c.slidingRopeTheta();
      this.queryPreAttnScalar = c.queryPreAttnScalar();
      this.attnLogitSoftcap = c.attnLogitSoftcap();
      this.finalLogitSoftcap = c.finalLogitSoftcap();
    }

    /** The family this builder builds for. */
    public Family family() {
      return family;
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

    public Builder activation(Activation v) {
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

    public Builder residual(ResidualLayout v) {
      this.residual = v;
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

    public Builder slidingWindow(int v) {
      this.slidingWindow = v;
      return this;
    }

    public Builder layerTypes(List<AttentionType> v) {
      this.layerTypes = v;
      return this;
    }

    public Builder slidingRopeTheta(double v) {
      this.slidingRopeTheta = v;
      return this;
    }

    public Builder queryPreAttnScalar(double v) {
      this.queryPreAttnScalar = v;
      return this;
    }

    public Builder attnLogitSoftcap(double v) {
      this.attnLogitSoftcap = v;
      return this;
    }

    public Builder finalLogitSoftcap(double v) {
      this.finalLogitSoftcap = v;
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
          numKvHeads == null ? numHeads : numKvHeads,
          headDim == null ? (numHeads > 0 ? hiddenSize / numHeads : 0) : headDim,
          intermediateSize == null ? 4 * hiddenSize : intermediateSize,
          maxPositions,
          normEps,
          activation,
          ropeTheta,
          rotaryPct,
          ropeScaling,
          residual,
          tieWordEmbeddings,
          qkvBias,
          attnOutBias,
          mlpBias,
          scaleAttnByInverseLayerIdx,
          bosTokenId,
          eosTokenId,
          padTokenId,
          slidingWindow,
          layerTypes,
          slidingRopeTheta,
          queryPreAttnScalar,
          attnLogitSoftcap,
          finalLogitSoftcap);
    }
  }
}
