package rlhf4j.policy.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import rlhf4j.policy.quant.BaseDtype;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.policy.quant.QuantizedWeight;

/**
 * A decoder-only transformer language model (GPT-2, Llama family, GPT-NeoX) written with DJL
 * NDArray ops, trainable with autograd. Parameters are kept under their HF state-dict names in
 * rlhf4j's layout (Linear weights (out, in)); {@link rlhf4j.policy.hf.HfCheckpoint} converts at the
 * file edge. The model owns its parameters' manager: close it to free them.
 *
 * <p>The frozen base may be stored quantised ({@link #quantizeBase(QuantConfig)}, {@link
 * #random(ModelConfig, long, QuantConfig)}): the block projections (and optionally the embeddings
 * and head) then hold fp16 or int8 codes and compute in float32; norms, biases and position
 * embeddings stay float32. {@link #backward} trains with optional gradient checkpointing.
 *
 * <p>Shapes: B sequences, T new positions, S = cached + T key positions, D width, V vocabulary.
 */
public final class CausalLM implements AutoCloseable {
  static {
    rlhf4j.policy.train.Engines.defaults(); // before libtorch loads: passive OpenMP wait policy
  }

  /**
   * Outputs of one forward pass.
   *
   * @param hidden last hidden state after the final norm // (B, T, D)
   * @param logits next-token logits, null if not requested // (B, T, V)
   */
  public record Output(NDArray hidden, NDArray logits) {}

  private final ModelConfig config;
  private final NDManager manager;
  private final WeightStore weights;
  private final Map<String, Linear> linearByWeight = new LinkedHashMap<>(); // weight name → module

  /**
   * The LM head's module path, as transformers 5 and PEFT name it in every family here (PEFT's
   * {@code target_modules}, {@code modules_to_save} and adapter keys use it).
   */
  public static final String LM_HEAD = "lm_head";

  private final String tokenEmbeddingName;
  private final Embeddings embeddings;
  private final List<Block> blocks = new ArrayList<>();
  private final Norm finalNorm;
  private final Linear lmHeadLinear; // lmHead as a module LoRA can target, path LM_HEAD
  private final String lmHeadWeightName; // its checkpoint key (embed_out.weight for GPT-NeoX)
  private final List<String> finalNormNames;
  private final RotaryTables rotary;
  private final List<Linear> linears = new ArrayList<>();

  /**
   * Builds a model from float32 parameters named and shaped as {@link #parameterSpecs(ModelConfig)}
   * says; the arrays must live in {@code manager}, which the model then owns.
   */
  public CausalLM(ModelConfig config, NDManager manager, Map<String, NDArray> parameters) {
    this(config, manager, parameters, Map.of());
  }

  /**
   * Builds a model whose weights named in {@code quantizedWeights} are stored quantised (all with
   * the same dtype and block size; only names in {@link #quantizableParameterNames} qualify);
   * {@code parameters} holds the other (float32) parameters and may omit the quantised ones. Every
   * array must live in {@code manager}, which the model then owns.
   *
   * @throws IllegalArgumentException if a parameter is missing, misshapen, not float32 without a
   *     quantised form, or quantised where that is not allowed
   */
  public CausalLM(
      ModelConfig config,
      NDManager manager,
      Map<String, NDArray> parameters,
      Map<String, QuantizedWeight> quantizedWeights) {
    this(config, manager, new WeightStore(config, parameters, quantizedWeights));
  }

  private CausalLM(ModelConfig config, NDManager manager, WeightStore weights) {
    this.config = config;
    this.manager = manager;
    Family family = config.family();
    this.weights = weights;
    Map<String, NDArray> p = weights.view();
    Map<String, QuantizedWeight> quantized = weights.quantized();
    this.tokenEmbeddingName = family.tokenEmbedding();
    this.embeddings =
        new Embeddings(
            p.get(tokenEmbeddingName),
            quantized.get(tokenEmbeddingName),
            family.positionEmbedding() == null ? null : p.get(family.positionEmbedding()),
            family.embeddingScale(config),
            config.maxPositions());
    for (int i = 0; i < config.numLayers(); i++) {
      Block b = family.block(config, i, p);
      blocks.add(b);
      b.collectLinears(linears);
    }
    this.finalNormNames = List.copyOf(family.finalNorm());
    this.finalNorm =
        Norm.of(
            config.normKind(),
            p.get(finalNormNames.get(0)),
            finalNormNames.size() > 1 ? p.get(finalNormNames.get(1)) : null,
            config.normEps());
    this.lmHeadWeightName = config.tieWordEmbeddings() ? tokenEmbeddingName : family.lmHead();
    this.lmHeadLinear = new Linear(LM_HEAD, p.get(lmHeadWeightName), null, false); // (V, D)
    for (Linear l : linears) {
      linearByWeight.put(l.path() + ".weight", l);
    }
    linearByWeight.put(lmHeadWeightName, lmHeadLinear);
    for (Map.Entry<String, QuantizedWeight> e : quantized.entrySet()) {
      Linear l = linearByWeight.get(e.getKey());
      if (l != null) {
        l.setQuantized(e.getValue());
      }
    }
    this.rotary = new RotaryTables(config);
  }

  /** The parameters a model of {@code config} has, in a stable order. */
  public static List<ParamSpec> parameterSpecs(ModelConfig config) {
    return config.family().parameters(config);
  }

  /** Checkpoint keys that are buffers rather than parameters for this family. */
  public static Predicate<String> ignoredCheckpointKeys(ModelConfig config) {
    return config.family().ignoredKeys();
  }

  /** The backbone prefix of the family's HF state dict (e.g. {@code transformer.}). */
  public static String backbonePrefix(ModelConfig config) {
    return config.family().backbonePrefix();
  }

  /**
   * Refuses a config whose weights cannot fit this machine's physical memory even as int8, before
   * any allocation (a corrupt {@code num_hidden_layers: 1000000000} would otherwise run for minutes
   * into an OutOfMemoryError).
   */
  public static void requireFitsInMemory(ModelConfig config) {
    long total = Long.MAX_VALUE;
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      total = os.getTotalMemorySize();
    }
    ModelSize.requireFits(config, total > 0 ? total : Long.MAX_VALUE);
  }

  /**
   * A freshly initialised model (HF-style init: normal(0, 0.02), norms 1, biases 0), seeded from
   * Java so the same seed gives the same weights on every machine.
   */
  public static CausalLM random(ModelConfig config, long seed) {
    return random(config, seed, QuantConfig.FP32);
  }

  /**
   * Like {@link #random(ModelConfig, long)} (same values before quantisation), storing the base as
   * {@code quant} says; each weight is quantised as soon as it is drawn, so the float32 model never
   * exists in memory as a whole. Normal draws come from {@link
   * rlhf4j.policy.model.init.RandomInit}, in spec order.
   */
  public static CausalLM random(ModelConfig config, long seed, QuantConfig quant) {
    requireFitsInMemory(config);
    NDManager manager = NDManager.newBaseManager();
    try {
      return new CausalLM(config, manager, WeightStore.random(config, manager, seed, quant));
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
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
    if (cache != null && rotary.mustRecompute(cache.length(), inputIds.getShape().get(1))) {
      return recomputed(inputIds, attentionMask, cache, training, computeLogits);
    }
    if (cache != null) {
      cache.recordIds(inputIds);
    }
    Prepared in = prepare(inputIds, attentionMask, cache, training);
    NDArray x = in.x();
    for (Block block : blocks) {
      x = runBlock(block, x, in.ctx());
    }
    if (cache != null) {
      cache.advance();
    }
    NDArray hidden = finalNorm.forward(x);
    NDArray logits = computeLogits ? logits(hidden, training) : null;
    return new Output(hidden, logits);
  }

  /** Drops the cache, reruns the whole sequence (cached ids, then inputIds), keeps the last T. */
  private Output recomputed(
      NDArray inputIds, NDArray mask, KvCache cache, boolean training, boolean computeLogits) {
    Output full = forward(cache.restartWith(inputIds), mask, cache, training, computeLogits);
    long s = full.hidden().getShape().get(1);
    NDIndex last = new NDIndex(":, {}:, :", s - inputIds.getShape().get(1));
    return new Output(
        full.hidden().get(last), full.logits() == null ? null : full.logits().get(last));
  }

  /**
   * Runs one block in its own {@link NDScope} and keeps only its output (registered in the caller's
   * scope): the Java handles of the block's intermediates are closed at once, so a no-grad pass
   * frees them, and under autograd only what the graph saved for the backward stays alive (DJL
   * would otherwise keep every intermediate until the caller's scope closes).
   */
  static NDArray runBlock(Block block, NDArray x, ForwardContext ctx) {
    NDArray y;
    try (NDScope s = new NDScope()) {
      y = block.forward(x, ctx); // (B, T, D)
      NDScope.unregister(y);
    }
    NDScope.register(y);
    return y;
  }

  /** The embedded input and what every block shares. */
  record Prepared(NDArray x, NDArray positions, ForwardContext ctx) {}

  /** Mask checks, positions, embeddings, attention bias and rotary tables for one pass. */
  Prepared prepare(NDArray inputIds, NDArray attentionMask, KvCache cache, boolean training) {
    long b = inputIds.getShape().get(0);
    long t = inputIds.getShape().get(1);
    long past = cache == null ? 0 : cache.length();
    long s = past + t;
    NDManager m = inputIds.getManager();
    NDArray mask = AttentionMask.checked(attentionMask, m, b, s); // (B, S)
    NDArray positions = AttentionMask.positionIds(mask, t); // (B, T)
    NDArray x = embed(inputIds, positions); // (B, T, D)
    NDArray[] global = rotary.global(m, positions); // {cos, sin} (B, 1, T, R), or null
    NDArray cos = global == null ? null : global[0];
    NDArray sin = global == null ? null : global[1];
    NDArray sliding =
        config.hasSlidingLayers() ? AttentionMask.bias(mask, t, config.slidingWindow()) : null;
    NDArray[] local = rotary.sliding(m, positions);
    ForwardContext ctx =
        new ForwardContext(
            AttentionMask.bias(mask, t),
            sliding,
            local == null ? null : local[0],
            local == null ? null : local[1],
            cos,
            sin,
            cache,
            training);
    return new Prepared(x, positions, ctx);
  }

  /** Token (plus learned position) embeddings // (B, T) → (B, T, D). */
  NDArray embed(NDArray inputIds, NDArray positions) {
    return embeddings.embed(inputIds, positions);
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
    Output full = forward(ids, mask, null, training, false);
    return responseOutput(full.hidden(), queryWidth, training);
  }

  /**
   * The response part of a full forward's final hidden state, as {@link #forwardResponse} returns
   * it: hidden at positions P−1 … S−2 and their logits. Use it inside a {@link LossHead}.
   *
   * @param hidden final hidden state of the whole sequence // (B, S, D)
   * @param queryWidth P
   * @param training enables adapter dropout in an adapted LM head
   * @return hidden // (B, T, D) and logits // (B, T, V)
   */
  public Output responseOutput(NDArray hidden, int queryWidth, boolean training) {
    long s = hidden.getShape().get(1);
    if (queryWidth < 1 || queryWidth >= s) {
      throw new IllegalArgumentException(
          "queryWidth must be in [1, " + (s - 1) + "], got " + queryWidth);
    }
    NDArray h = hidden.get(new NDIndex(":, {}:{}, :", queryWidth - 1, s - 1));
    return new Output(h, logits(h, training));
  }

  /**
   * One training backward pass: runs the model on {@code inputIds}, hands the final hidden state
   * (after the final norm, (B, S, D)) to {@code head}, and backpropagates the scalar loss it
   * returns into every array that requires gradients (adapters, value head, trainable base
   * weights); gradients add to those already there, as a GradientCollector does.
   *
   * <p>With {@code checkpointing}, only each block's input is kept during the forward (computed
   * without a graph); the backward then recomputes one block at a time from the top with a graph,
   * feeding it the gradient of its output, so at most one block's activations exist at once, for
   * the price of a second forward through the blocks. Gradients equal those without checkpointing
   * up to float rounding. DJL allows one GradientCollector at a time and has no custom autograd, so
   * this method opens its own collectors one after the other: call it outside any collector.
   *
   * <p>In training mode torch's random generator is reseeded before each block (from a seed drawn
   * from it), in both modes, so adapter dropout draws the same masks in the recomputation, and the
   * same with and without checkpointing.
   *
   * @param inputIds token ids // (B, S) int64
   * @param attentionMask 1 for real tokens, 0 for padding, or null for all ones // (B, S)
   * @param training enables adapter dropout
   * @param checkpointing recompute blocks in the backward instead of keeping their activations
   * @param head the loss (first) and any arrays to return, computed from the final hidden state
   * @return what {@code head} returned, detached from the graph, in the caller's {@link NDScope}
   * @throws IllegalStateException if called inside a GradientCollector
   */
  public NDList backward(
      NDArray inputIds,
      NDArray attentionMask,
      boolean training,
      boolean checkpointing,
      LossHead head) {
    return CheckpointedBackward.backward(
        this, inputIds, attentionMask, training, checkpointing, head);
  }

  List<Block> blocks() {
    return blocks;
  }

  Norm finalNorm() {
    return finalNorm;
  }

  /** Whether a backward must reach the embedding tables. */
  boolean embeddingsTrainable() {
    return embeddings.trainable();
  }

  /**
   * Logits from a hidden state, with an adapted LM head's dropout when {@code training},
   * soft-capped when the config says so; every logit comes from here // (B, T, D) → (B, T, V).
   */
  public NDArray logits(NDArray hidden, boolean training) {
    return LogitSoftcap.apply(lmHeadLinear.forward(hidden, training), config.finalLogitSoftcap());
  }

  /**
   * Position ids from the attention mask: cumsum(mask) − 1 (left padding shifts them), pads at 0;
   * the last {@code t} columns. // (B, S) → (B, T)
   */
  public static NDArray positionIds(NDArray mask, long t) {
    return AttentionMask.positionIds(mask, t);
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
    return weights.view();
  }

  /** Specs of the base parameters in order. */
  public List<ParamSpec> specs() {
    return weights.specs();
  }

  /** Every linear projection in the blocks (attention and MLP), in order; LoRA targets these. */
  public List<Linear> linears() {
    return Collections.unmodifiableList(linears);
  }

  /**
   * The LM head as a {@link Linear} with path {@link #LM_HEAD}; its weight is the token embedding
   * when {@link ModelConfig#tieWordEmbeddings()}. Not part of {@link #linears()}: LoRA targets it
   * only when named.
   */
  public Linear lmHead() {
    return lmHeadLinear;
  }

  /**
   * The name checkpoints give the LM head's module: {@link #LM_HEAD}, or {@code embed_out} for
   * GPT-NeoX, whose module transformers 4 called so (transformers 5 names it {@code lm_head} and
   * maps the checkpoint key on load). Adapter configs and files may use it for {@link #LM_HEAD}.
   */
  public String lmHeadCheckpointModule() {
    String weight = config.family().lmHead();
    return weight.substring(0, weight.length() - ".weight".length());
  }

  /** The checkpoint key of linear {@code l}'s weight ({@code <path>.weight}, or the head's). */
  public String weightName(Linear l) {
    return l == lmHeadLinear ? lmHeadWeightName : l.path() + ".weight";
  }

  /** HF names of the final norm's parameters (weight, and bias for LayerNorm). */
  public List<String> finalNormParameterNames() {
    return finalNormNames;
  }

  /** Number of base parameters (tied weights counted once). */
  public long parameterCount() {
    long n = 0;
    for (NDArray a : weights.view().values()) {
      n += a.size();
    }
    return n;
  }

  /** Bytes held by base parameters as stored (quantised weights: codes plus scales). */
  public long parameterBytes() {
    return weights.bytes();
  }

  /**
   * Freezes (or unfreezes) every base parameter.
   *
   * @throws IllegalStateException when unfreezing a quantised base (its weights cannot train)
   */
  public void setBaseTrainable(boolean trainable) {
    weights.setTrainable(trainable);
  }

  // ------------------------------------------------------------------ quantised base

  /**
   * The parameters {@code quant} stores below float32 for a model of {@code config}: every block
   * projection weight (attention and MLP), plus the token embedding and an untied LM head when
   * {@link QuantConfig#quantizeEmbeddings()}. Norms, biases and position embeddings stay float32.
   * Empty for fp32.
   */
  public static Set<String> quantizableParameterNames(ModelConfig config, QuantConfig quant) {
    return WeightStore.quantizableNames(config, quant);
  }

  /**
   * Stores the frozen base as {@code quant} says, in place: each selected weight is quantised and
   * its float32 array freed, so {@link #parameterBytes()} and the process memory drop. Do it before
   * attaching adapters. Quantising is lossy and one-way.
   *
   * @throws IllegalStateException if the base is quantised already, an adapter is attached, or a
   *     selected weight requires gradients
   */
  public void quantizeBase(QuantConfig quant) {
    if (!quant.quantizes()) {
      return;
    }
    QuantizedWeight tokens = weights.quantize(quant, linearByWeight).get(tokenEmbeddingName);
    if (tokens != null) {
      embeddings.setQuantized(tokens);
    }
  }

  /** The weights stored quantised, by HF name (empty for a float32 base). */
  public Map<String, QuantizedWeight> quantizedWeights() {
    return weights.quantized();
  }

  /** How the base is stored: {@link QuantConfig#FP32} unless quantised. */
  public QuantConfig quantConfig() {
    return weights.quantConfig();
  }

  /** Storage type of the block projections. */
  public BaseDtype baseDtype() {
    return quantConfig().baseDtype();
  }

  @Override
  public void close() {
    manager.close();
  }
}
