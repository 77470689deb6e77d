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
        bos,
        eos,
        pad);
  }
}
