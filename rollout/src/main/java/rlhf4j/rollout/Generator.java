package rlhf4j.rollout;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.KvCache;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.model.PositionKind;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.rollout.sampling.LogitsProcessor;
import rlhf4j.rollout.sampling.SampleResult;
import rlhf4j.rollout.sampling.Sampler;

/**
 * Batched generation from a policy (with its adapters as they are switched: wrap a call in the LoRA
 * model's {@code adaptersDisabled()} to sample from the reference). Prompts are left-padded,
 * position ids follow the attention mask, and with the cache the prompt is run once (prefill) and
 * then one token per step. No autograd graph is built, whatever thread calls it; every step's
 * arrays live in an NDScope and the cache is freed when the batch is done.
 *
 * <p>Log-probs are recorded under {@code log_softmax(logits / T)}; with top-k/top-p/min-p or a
 * repetition penalty ({@code SamplingConfig.biasesKl()}) that is not the distribution sampled from,
 * which biases a PPO KL estimate: the PPO trainer warns about it.
 *
 * <p>The sampler's random stream belongs to this generator: the same seed and prompts give the same
 * tokens, independent of any training code using the global torch generator.
 */
public final class Generator {
  /** Receives tokens as they are generated (streaming). */
  @FunctionalInterface
  public interface TokenListener {
    void onToken(int row, long tokenId);
  }

  private final CausalLM model;
  private final GenerationConfig config;
  private final Sampler sampler;
  private final List<LogitsProcessor> extraProcessors;
  private final ValueHead valueHead;
  private final Tokenizer tokenizer;

  /**
   * @param model the policy
   * @param config generation settings
   * @param valueHead records values when non-null
   * @param tokenizer decodes texts and detects stop strings when non-null
   * @param extraProcessors applied after the configured ones (e.g. constraints); may be empty
   */
  public Generator(
      CausalLM model,
      GenerationConfig config,
      ValueHead valueHead,
      Tokenizer tokenizer,
      List<LogitsProcessor> extraProcessors) {
    this.model = model;
    this.config = config;
    this.valueHead = valueHead;
    this.tokenizer = tokenizer;
    this.sampler = new Sampler(config.sampling(), extraProcessors);
    this.extraProcessors = List.copyOf(extraProcessors);
    if (!config.stopStrings().isEmpty() && tokenizer == null) {
      throw new IllegalArgumentException("stopStrings need a tokenizer to decode responses");
    }
  }

  public Generator(CausalLM model, GenerationConfig config) {
    this(model, config, null, null, List.of());
  }

  public GenerationConfig config() {
    return config;
  }

  /** Generates from text prompts (needs the tokenizer). */
  public Rollout generateTexts(List<String> prompts) {
    if (tokenizer == null) {
      throw new IllegalStateException("generateTexts needs a Generator built with a tokenizer");
    }
    List<long[]> ids = new ArrayList<>();
    for (String p : prompts) {
      ids.add(tokenizer.encode(p));
    }
    return generate(ids, null);
  }

  /** Generates from token-id prompts. */
  public Rollout generate(List<long[]> prompts) {
    return generate(prompts, null);
  }

  /** Generates from token-id prompts, reporting each new token to {@code listener}. */
  public Rollout generate(List<long[]> prompts, TokenListener listener) {
    return generate(prompts, sampler, listener);
  }

  /**
   * Generates from token-id prompts with a random stream per row ({@link Sampler#perRow}): row
   * {@code i} samples from {@code rowSeeds[i]} alone, so its tokens do not depend on which other
   * prompts share the batch (the sampling config's own seed is not used).
   */
  public Rollout generate(List<long[]> prompts, long[] rowSeeds, TokenListener listener) {
    if (rowSeeds == null || rowSeeds.length != prompts.size()) {
      throw new IllegalArgumentException(
          "rowSeeds must hold one seed per prompt: "
              + prompts.size()
              + " prompts, "
              + (rowSeeds == null ? "no" : String.valueOf(rowSeeds.length))
              + " seeds");
    }
    return generate(
        prompts, Sampler.perRow(config.sampling(), extraProcessors, rowSeeds), listener);
  }

  private Rollout generate(List<long[]> prompts, Sampler sampler, TokenListener listener) {
    int b = prompts.size();
    if (b == 0) {
      throw new IllegalArgumentException("no prompts given");
    }
    int p = 0;
    for (int i = 0; i < b; i++) {
      long[] q = prompts.get(i);
      if (q.length == 0) {
        throw new IllegalArgumentException("prompt " + i + " is empty; give at least one token");
      }
      p = Math.max(p, q.length);
    }
    checkTokenIds(prompts, model.config().vocabSize());
    int maxNew = config.maxNewTokens();
    int capacity = p + maxNew;
    if (capacity > model.config().maxPositions()
        && model.config().positionKind() == PositionKind.LEARNED) {
      throw new IllegalArgumentException(
          "prompt length "
              + p
              + " + maxNewTokens "
              + maxNew
              + " exceeds the model's "
              + model.config().maxPositions()
              + " positions");
    }
    // sequence state kept in Java: ids and mask over all positions so far, left padded
    long[][] seq = new long[b][capacity];
    long[][] mask = new long[b][capacity];
    for (int i = 0; i < b; i++) {
      long[] q = prompts.get(i);
      Arrays.fill(seq[i], config.padTokenId());
      System.arraycopy(q, 0, seq[i], p - q.length, q.length);
      Arrays.fill(mask[i], p - q.length, p, 1L);
    }
    List<List<Long>> tokens = new ArrayList<>();
    List<List<Float>> logps = new ArrayList<>();
    List<List<Float>> values = new ArrayList<>();
    for (int i = 0; i < b; i++) {
      tokens.add(new ArrayList<>());
      logps.add(new ArrayList<>());
      values.add(new ArrayList<>());
    }
    boolean[] finished = new boolean[b];
    boolean[] eos = new boolean[b];
    try (NoGrad noGrad = NoGrad.enter();
        NDManager m = NDManager.newBaseManager();
        KvCache cache = config.useCache() ? new KvCache(m, model.config(), b, capacity) : null) {
      int len = p; // positions filled so far
      for (int step = 0; step < maxNew; step++) {
        try (NDScope scope = new NDScope()) {
          NDArray input;
          NDArray maskArr = m.create(slice(mask, 0, len), new Shape(b, len));
          if (cache == null) {
            input = m.create(slice(seq, 0, len), new Shape(b, len));
          } else if (step == 0) {
            input = m.create(slice(seq, 0, len), new Shape(b, len)); // prefill
          } else {
            input = m.create(slice(seq, len - 1, len), new Shape(b, 1));
          }
          CausalLM.Output out = model.forward(input, maskArr, cache, false, false);
          NDArray last = out.hidden().get(new NDIndex(":, -1:, :")); // (B, 1, D)
          NDArray logits = model.logits(last, false).squeeze(1); // (B, V)
          float[] vals = valueHead == null ? null : valueHead.forward(last).toFloatArray();
          long[][] previous = new long[b][];
          for (int i = 0; i < b; i++) {
            previous[i] = Arrays.copyOfRange(seq[i], p - prompts.get(i).length, len);
          }
          SampleResult r = sampler.sample(logits, previous, finished, config.padTokenId());
          for (int i = 0; i < b; i++) {
            seq[i][len] = finished[i] ? config.padTokenId() : r.ids()[i];
            mask[i][len] = finished[i] ? 0 : 1;
            if (finished[i]) {
              continue;
            }
            long id = r.ids()[i];
            tokens.get(i).add(id);
            logps.get(i).add((float) r.trainLogProbs()[i]);
            if (vals != null) {
              values.get(i).add(vals[i]);
            }
            if (listener != null) {
              listener.onToken(i, id);
            }
            if (id == config.eosTokenId()) {
              finished[i] = true;
              eos[i] = true;
            } else if (!config.stopStrings().isEmpty() && hitsStopString(tokens.get(i))) {
              finished[i] = true;
            }
          }
          len++;
        }
        if (allTrue(finished)) {
          break;
        }
      }
    }
    List<long[]> responses = new ArrayList<>();
    List<float[]> logProbs = new ArrayList<>();
    List<float[]> vals = valueHead == null ? null : new ArrayList<>();
    List<String> texts = tokenizer == null ? null : new ArrayList<>();
    for (int i = 0; i < b; i++) {
      long[] resp = tokens.get(i).stream().mapToLong(Long::longValue).toArray();
      responses.add(resp);
      logProbs.add(toFloats(logps.get(i)));
      if (vals != null) {
        vals.add(toFloats(values.get(i)));
      }
      if (texts != null) {
        texts.add(tokenizer.decode(resp, true));
      }
    }
    List<long[]> queries = new ArrayList<>();
    prompts.forEach(q -> queries.add(q.clone()));
    return new Rollout(queries, responses, logProbs, vals, texts, eos);
  }

  /**
   * Checks that every id of every prompt lies in [0, vocabSize).
   *
   * @throws IllegalArgumentException naming the prompt's index and the id
   */
  public static void checkTokenIds(List<long[]> prompts, int vocabSize) {
    for (int i = 0; i < prompts.size(); i++) {
      for (long id : prompts.get(i)) {
        if (id < 0 || id >= vocabSize) {
          throw new IllegalArgumentException(
              "prompt "
                  + i
                  + " has token id "
                  + id
                  + " outside the vocabulary [0, "
                  + vocabSize
                  + ")");
        }
      }
    }
  }

  private boolean hitsStopString(List<Long> ids) {
    String text = tokenizer.decode(ids.stream().mapToLong(Long::longValue).toArray(), false);
    for (String s : config.stopStrings()) {
      if (text.contains(s)) {
        return true;
      }
    }
    return false;
  }

  private static long[] slice(long[][] rows, int from, int to) {
    long[] flat = new long[rows.length * (to - from)];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], from, flat, i * (to - from), to - from);
    }
    return flat;
  }

  private static float[] toFloats(List<Float> v) {
    float[] f = new float[v.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = v.get(i);
    }
    return f;
  }

  private static boolean allTrue(boolean[] a) {
    for (boolean x : a) {
      if (!x) {
        return false;
      }
    }
    return true;
  }
}
