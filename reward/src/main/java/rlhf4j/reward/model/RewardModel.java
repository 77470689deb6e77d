package rlhf4j.reward.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import rlhf4j.policy.family.Architectures;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.hf.HfConfig;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.ParamSpec;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.policy.quant.QuantizedWeight;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.reward.RewardFunction;

/**
 * A learned reward model: a decoder backbone plus a scalar score head, as HF's {@code
 * *ForSequenceClassification} with {@code num_labels=1}. The score of a sequence is {@code r =
 * score.weight · h}, no bias, where {@code h} is the final-norm hidden state at the last position
 * whose attention mask is 1 and whose token is not {@code pad_token_id} (transformers' {@code
 * last_non_pad_token}: where the pad id is also the EOS id, a response ending in EOS is scored at
 * the token before it, as TRL's {@code RewardTrainer} trains it), so left and right padding give
 * the same score.
 *
 * <p>HF folders: {@code config.json} with {@code architectures} {@code
 * [GPT2|Llama|Qwen2|Mistral|GPTNeoX]ForSequenceClassification}, {@code num_labels 1}, and {@code
 * model.safetensors} with the backbone under its usual prefix ({@code transformer.}, {@code
 * model.}, {@code gpt_neox.}) plus {@code score.weight} (1, D); there is no LM head.
 *
 * <p>As a {@link RewardFunction} it scores {@code promptIds ++ responseIds} when a sample carries
 * ids, else the texts through {@link #encode} (this needs {@link #optTokenizer}). The model owns
 * its backbone's parameters; close it to free them. Not thread-safe.
 */
public final class RewardModel implements RewardFunction, AutoCloseable {
  /** Name of the score head tensor in HF checkpoints. */
  public static final String SCORE_WEIGHT = "score.weight";

  /** Sequences per forward pass in {@link #score} unless set by {@link #optScoreBatchSize}. */
  public static final int DEFAULT_SCORE_BATCH_SIZE = 16;

  private final ModelConfig config; // as declared (its LM-head flag is kept for config.json)
  private final CausalLM backbone; // headless: tied config, so no LM head parameter
  private final NDArray scoreWeight; // (1, D), owned by the backbone's manager
  private Tokenizer tokenizer; // not owned; null when samples carry ids
  private int scoreBatchSize = DEFAULT_SCORE_BATCH_SIZE;

  private RewardModel(ModelConfig config, CausalLM backbone, NDArray scoreWeight) {
    long d = config.hiddenSize();
    if (!scoreWeight.getShape().equals(new Shape(1, d))) {
      throw new IllegalArgumentException(
          SCORE_WEIGHT + " must have shape (1, " + d + "), got " + scoreWeight.getShape());
    }
    this.config = config;
    this.backbone = backbone;
    this.scoreWeight = scoreWeight;
  }

  /**
   * A seeded random reward model of {@code config}: backbone as {@link CausalLM#random}, score head
   * N(0, 1/√(D+1)) (lm-human-preferences / N+ implementation details), both from {@code seed}.
   */
  public static RewardModel random(ModelConfig config, long seed) {
    return withFreshHead(CausalLM.random(headless(config), seed), config, seed);
  }

  /**
   * {@link #random(ModelConfig, long)} with the block projections stored as {@code quant} says (a
   * frozen base for LoRA; float32 for {@link QuantConfig#FP32}, the same weights as there).
   */
  public static RewardModel random(ModelConfig config, long seed, QuantConfig quant) {
    return withFreshHead(CausalLM.random(headless(config), seed, quant), config, seed);
  }

  /**
   * A reward model on an existing backbone (e.g. an SFT policy) with a fresh N(0, 1/√(D+1)) score
   * head drawn from {@code seed}. Takes ownership of {@code backbone}: do not use or close it
   * afterwards. An untied LM head, if any, is freed.
   */
  public static RewardModel fromBackbone(CausalLM backbone, long seed) {
    ModelConfig declared = backbone.config();
    CausalLM headlessModel = backbone;
    if (!declared.tieWordEmbeddings()) {
      ModelConfig tied = headless(declared);
      Set<String> keep = new HashSet<>();
      for (ParamSpec s : CausalLM.parameterSpecs(tied)) {
        keep.add(s.name());
      }
      Map<String, NDArray> kept = new LinkedHashMap<>();
      for (Map.Entry<String, NDArray> e : backbone.parameters().entrySet()) {
        if (keep.contains(e.getKey())) {
          kept.put(e.getKey(), e.getValue());
        } else {
          e.getValue().close(); // the LM head: a reward model has none
        }
      }
      Map<String, QuantizedWeight> quantized = new LinkedHashMap<>(backbone.quantizedWeights());
      quantized.keySet().retainAll(keep);
      headlessModel = new CausalLM(tied, backbone.manager(), kept, quantized);
    }
    return withFreshHead(headlessModel, declared, seed);
  }

  private static RewardModel withFreshHead(CausalLM backbone, ModelConfig declared, long seed) {
    int d = declared.hiddenSize();
    Random rng = new Random(seed);
    double std = 1.0 / Math.sqrt(d + 1.0); // rlhf-anchors §6 row 13
    float[] w = new float[d];
    for (int i = 0; i < d; i++) {
      w[i] = (float) (rng.nextGaussian() * std);
    }
    NDArray head = backbone.manager().create(w, new Shape(1, d));
    NDScope.unregister(head); // persistent, even when created inside a caller's scope
    return new RewardModel(declared, backbone, head);
  }

  /**
   * Loads a reward model saved by {@link #save} or by transformers ({@code
   * *ForSequenceClassification}, {@code num_labels 1}).
   *
   * @throws CheckpointException naming the folder and what is wrong
   */
  public static RewardModel load(Path dir) {
    return load(dir, QuantConfig.FP32);
  }

  /** {@link #load(Path)} with the base's block projections stored as {@code quant} says. */
  public static RewardModel load(Path dir, QuantConfig quant) {
    ModelConfig declared = HfConfig.read(dir);
    int labels = ConfigJson.numLabels(ConfigJson.read(dir));
    if (labels != 1 && labels != -1) {
      throw CheckpointException.of(
          dir.resolve("config.json"),
          "has " + labels + " labels; a reward model needs num_labels 1 (a single scalar score)");
    }
    HfCheckpoint.Loaded loaded;
    try {
      loaded = HfCheckpoint.loadWithExtras(dir, headless(declared), List.of(SCORE_WEIGHT), quant);
    } catch (CheckpointException e) {
      if (e.getMessage().contains("'" + SCORE_WEIGHT + "'")) {
        throw CheckpointException.of(
            dir,
            "has no "
                + SCORE_WEIGHT
                + ": it is not a reward model; start one from a language model with"
                + " RewardModel.fromPretrained(dir, seed) (fresh score head)");
      }
      throw e;
    }
    NDArray w = loaded.extras().get(SCORE_WEIGHT);
    if (!w.getShape().equals(new Shape(1, declared.hiddenSize()))) {
      loaded.model().close();
      throw CheckpointException.of(
          dir,
          "tensor "
              + SCORE_WEIGHT
              + " has shape "
              + w.getShape()
              + ", expected (1, "
              + declared.hiddenSize()
              + ") for num_labels 1 and hidden size "
              + declared.hiddenSize());
    }
    if (w.getDataType() != DataType.FLOAT32) {
      NDArray f = w.toType(DataType.FLOAT32, false);
      w.close();
      w = f;
    }
    return new RewardModel(declared, loaded.model(), w);
  }

  /**
   * A saved reward model as is ({@link #load}) when {@code config.json} names a {@code
   * *ForSequenceClassification} architecture, else the language model in {@code dir} with a fresh
   * score head from {@code seed} ({@link #fromBackbone}).
   */
  public static RewardModel fromPretrained(Path dir, long seed) {
    return fromPretrained(dir, seed, QuantConfig.FP32);
  }

  /** {@link #fromPretrained(Path, long)} with the base stored as {@code quant} says. */
  public static RewardModel fromPretrained(Path dir, long seed, QuantConfig quant) {
    if (isRewardCheckpoint(dir)) {
      return load(dir, quant);
    }
    return fromBackbone(HfCheckpoint.load(dir, HfConfig.read(dir), quant), seed);
  }

  /** Whether {@code dir/config.json} declares a {@code *ForSequenceClassification} model. */
  public static boolean isRewardCheckpoint(Path dir) {
    return ConfigJson.isSequenceClassification(ConfigJson.read(dir));
  }

  /**
   * Writes an HF folder that {@link #load} and transformers' {@code
   * AutoModelForSequenceClassification} read: {@code config.json} (sequence-classification
   * architecture, {@code num_labels 1}), {@code model.safetensors} (backbone + {@code
   * score.weight}).
   */
  public void save(Path dir) throws IOException {
    HfCheckpoint.save(backbone, dir, Map.of(SCORE_WEIGHT, scoreWeight));
    JsonObject j = HfConfig.toJson(config);
    JsonArray archs = new JsonArray();
    archs.add(architecture(config));
    j.add("architectures", archs);
    j.addProperty("num_labels", 1);
    JsonObject id2label = new JsonObject();
    id2label.addProperty("0", "LABEL_0");
    j.add("id2label", id2label);
    JsonObject label2id = new JsonObject();
    label2id.addProperty("LABEL_0", 0);
    j.add("label2id", label2id);
    var gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    rlhf4j.policy.io.AtomicFiles.writeString(dir.resolve("config.json"), gson.toJson(j) + "\n");
  }

  /** The transformers class name of a sequence-classification model of {@code c}. */
  static String architecture(ModelConfig c) {
    return Architectures.of(c).sequenceClassificationClass(c.modelType());
  }

  /** A copy of {@code c} with a tied (hence absent) LM head: the backbone a reward model loads. */
  static ModelConfig headless(ModelConfig c) {
    return c.toBuilder().tieWordEmbeddings(true).build();
  }

  /** Sets the tokenizer that turns sample texts into ids (not owned); returns this. */
  public RewardModel optTokenizer(Tokenizer tokenizer) {
    this.tokenizer = tokenizer;
    return this;
  }

  /** Sets how many sequences {@link #score} runs per forward pass; returns this. */
  public RewardModel optScoreBatchSize(int scoreBatchSize) {
    if (scoreBatchSize <= 0) {
      throw new IllegalArgumentException("scoreBatchSize must be > 0, got " + scoreBatchSize);
    }
    this.scoreBatchSize = scoreBatchSize;
    return this;
  }

  /**
   * Scores of a padded batch, differentiable (run it inside a {@code GradientCollector} to train).
   *
   * @param inputIds token ids // (B, T) int64
   * @param attentionMask 1 for real tokens, 0 for padding (left or right), or null for all ones //
   *     (B, T)
   * @param training passed to the backbone (adapter dropout)
   * @return one score per sequence, read at its last real token // (B)
   */
  public NDArray forward(NDArray inputIds, NDArray attentionMask, boolean training) {
    NDArray mask = mask(inputIds, attentionMask);
    NDArray hidden = backbone.forward(inputIds, mask, null, training, false).hidden(); // (B,T,D)
    return scores(hidden, inputIds, mask);
  }

  /** The int64 attention mask, all ones when null // (B, T). */
  static NDArray mask(NDArray inputIds, NDArray attentionMask) {
    long b = inputIds.getShape().get(0);
    long t = inputIds.getShape().get(1);
    return attentionMask == null
        ? inputIds.getManager().ones(new Shape(b, t), DataType.INT64)
        : attentionMask.toType(DataType.INT64, false);
  }

  /**
   * Scores from the backbone's final hidden state (after the final norm), read at each row's scored
   * token ({@link #scoredTokenIndex}); differentiable in {@code hidden} and the score head.
   *
   * @param hidden // (B, T, D)
   * @param inputIds the ids the hidden state is of // (B, T)
   * @param mask 1 for real tokens // (B, T)
   * @return // (B)
   */
  public NDArray scores(NDArray hidden, NDArray inputIds, NDArray mask) {
    long b = hidden.getShape().get(0);
    long t = hidden.getShape().get(1);
    NDArray perPosition =
        ai.djl.nn.core.Linear.linear(hidden, scoreWeight, null)
            .singletonOrThrow()
            .reshape(b, t); // (B, T)
    NDArray at = scoredTokenIndex(inputIds, mask, config.padTokenId()); // (B, 1)
    return perPosition.gather(at, 1).reshape(b); // (B)
  }

  /**
   * The position each row is scored at: the last whose mask is 1 and whose token is not {@code
   * padId} (transformers' {@code *ForSequenceClassification}: {@code (arange(T) * (ids !=
   * pad_token_id)).argmax(-1)}), for left and right padding alike; the last real token when the
   * model has no pad id ({@code padId < 0}) or a row's real tokens are all the pad id.
   *
   * @param ids // (B, T)
   * @param mask 1 for real tokens // (B, T)
   * @return // (B, 1) int64
   * @throws IllegalArgumentException if a row has no real token
   */
  static NDArray scoredTokenIndex(NDArray ids, NDArray mask, long padId) {
    long t = mask.getShape().get(1);
    NDArray real = mask.gt(0); // (B, T)
    NDArray realOnes = real.toType(DataType.INT64, false); // (B, T)
    if (realOnes.sum(new int[] {1}).min().getLong() == 0) {
      throw new IllegalArgumentException(
          "a row of the attention mask has no real token; every sequence needs at least one");
    }
    NDArray positions = mask.getManager().arange(0, t, 1, DataType.INT64).reshape(1, t); // (1, T)
    NDArray lastReal = realOnes.mul(positions).max(new int[] {1}, true); // (B, 1)
    if (padId < 0) {
      return lastReal; // (B, 1)
    }
    NDArray scored = real.logicalAnd(ids.neq(padId)).toType(DataType.INT64, false); // (B, T)
    NDArray lastScored = scored.mul(positions).max(new int[] {1}, true); // (B, 1)
    NDArray any = scored.sum(new int[] {1}, true).gt(0); // (B, 1)
    return NDArrays.where(any, lastScored, lastReal); // (B, 1)
  }

  /**
   * Scores every sample (no autograd graph is built). Ids are {@code promptIds ++ responseIds} when
   * the sample has any, else {@link #encode}{@code (prompt, response)}.
   */
  @Override
  public float[] score(List<Sample> batch) {
    if (batch == null) {
      throw new IllegalArgumentException("batch must not be null; pass an empty list for none");
    }
    List<long[]> sequences = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      Sample s = batch.get(i);
      if (s == null) {
        throw new IllegalArgumentException("batch[" + i + "] is null; every sample must be set");
      }
      long[] ids =
          s.promptIds().length + s.responseLength() > 0
              ? concat(s.promptIds(), s.responseIds())
              : encodeForSample(s, i);
      if (ids.length == 0) {
        throw new IllegalArgumentException(
            "sample " + i + " has no tokens (empty prompt and response); nothing to score");
      }
      sequences.add(ids);
    }
    return scoreIds(sequences);
  }

  private long[] encodeForSample(Sample s, int i) {
    if (tokenizer == null) {
      throw new IllegalStateException(
          "sample "
              + i
              + " has no token ids and this reward model has no tokenizer; call"
              + " optTokenizer(...) or pass promptIds/responseIds");
    }
    return encode(s.prompt(), s.response());
  }

  /**
   * Scores token sequences (no autograd graph is built), {@link #optScoreBatchSize} at a time.
   *
   * @param sequences one id array per sequence, each non-empty
   */
  public float[] scoreIds(List<long[]> sequences) {
    return scoreIds(sequences, scoreBatchSize);
  }

  /** {@link #scoreIds(List)} with {@code batchSize} sequences per forward pass. */
  float[] scoreIds(List<long[]> sequences, int batchSize) {
    float[] scores = new float[sequences.size()];
    boolean previous = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int from = 0; from < sequences.size(); from += batchSize) {
        int to = Math.min(sequences.size(), from + batchSize);
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          Batch b = Batch.rightPadded(manager(), sequences.subList(from, to), padId(), vocab());
          float[] s = forward(b.ids(), b.mask(), false).toFloatArray();
          System.arraycopy(s, 0, scores, from, s.length);
        }
      }
    } finally {
      JniUtils.setGradMode(previous);
    }
    return scores;
  }

  /**
   * Ids of a (prompt, response) pair as the model scores them: {@code tokenizer.encode(prompt)}
   * (with the tokenizer's template tokens, e.g. BOS) followed by {@code
   * tokenizer.encodePlain(response)}, the way a policy's response tokens follow its prompt.
   *
   * @throws IllegalStateException without a tokenizer
   */
  public long[] encode(String prompt, String response) {
    if (tokenizer == null) {
      throw new IllegalStateException(
          "this reward model has no tokenizer to encode text; call optTokenizer(...)");
    }
    return concat(
        prompt.isEmpty() ? new long[0] : tokenizer.encode(prompt),
        response.isEmpty() ? new long[0] : tokenizer.encodePlain(response));
  }

  /**
   * Ids of a (prompt, response) pair rendered by the model's chat template: {@code
   * tokenizer.encodePlain(prompt + response)}, the whole conversation encoded without the
   * tokenizer's template tokens (the chat template wrote them), as transformers' {@code
   * apply_chat_template(..., tokenize=True)} encodes it.
   *
   * @throws IllegalStateException without a tokenizer
   */
  public long[] encodeChat(String prompt, String response) {
    if (tokenizer == null) {
      throw new IllegalStateException(
          "this reward model has no tokenizer to encode text; call optTokenizer(...)");
    }
    return tokenizer.encodePlain(prompt + response);
  }

  static long[] concat(long[] a, long[] b) {
    long[] out = new long[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** The id written into padded positions (masked out, so any valid id works). */
  long padId() {
    return Math.max(0, config.padTokenId());
  }

  int vocab() {
    return config.vocabSize();
  }

  /** The model's shape as declared (its {@code tieWordEmbeddings} is what config.json says). */
  public ModelConfig config() {
    return config;
  }

  /** The transformer without LM head; attach adapters (LoRA) to its linears. */
  public CausalLM backbone() {
    return backbone;
  }

  /** The score head // (1, D). */
  public NDArray scoreWeight() {
    return scoreWeight;
  }

  /** The tokenizer set by {@link #optTokenizer}, or null. */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** The manager that owns the parameters. */
  public NDManager manager() {
    return backbone.manager();
  }

  /** Every parameter by HF name: the backbone's, then {@code score.weight}. */
  public Map<String, NDArray> parameters() {
    Map<String, NDArray> p = new LinkedHashMap<>(backbone.parameters());
    p.put(SCORE_WEIGHT, scoreWeight);
    return Collections.unmodifiableMap(p);
  }

  /** Marks every parameter (backbone and head) trainable or frozen. */
  public void setTrainable(boolean trainable) {
    backbone.setBaseTrainable(trainable);
    scoreWeight.setRequiresGradient(trainable);
  }

  @Override
  public String name() {
    return "reward-model";
  }

  /** Frees the parameters (not the tokenizer). */
  @Override
  public void close() {
    backbone.close();
  }
}
