package rlhf4j.rollout.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Exact, seeded next-token sampler for a batch of last-position logits.
 *
 * <p>Randomness comes only from this sampler's own {@link SplittableRandom} seeded with {@link
 * SamplingConfig#seed()}, never from the global torch generator (which training uses), so the same
 * seed and the same logits give the same tokens. In sampling mode every call draws exactly one
 * uniform per row, in row order, finished rows included; so row b's stream does not depend on which
 * other rows have finished. Greedy mode draws nothing. {@link #position()} and {@link
 * #seekTo(long)} save and restore the stream for resumable runs.
 *
 * <p>With per-row seeds ({@link #perRow}) each row has a stream of its own instead, seeded by the
 * caller (e.g. from the run seed, the step and the prompt's index in the step's batch): row b's
 * tokens then depend neither on the batch size nor on which other prompts share its batch, which is
 * what a source that splits a step's prompts over several workers needs.
 *
 * <p>Per row, in double precision: the logits pass through the processors in HF's order (repetition
 * penalty, extra processors, temperature, top-k, top-p, min-p), then a token is drawn by inverse
 * CDF with one uniform: exact in distribution up to double rounding. All work is plain Java on one
 * {@code toFloatArray()} copy; no per-element JNI calls and no NDArrays are created. Rough cost on
 * this project's 2-core CPU for B = 8, V = 50,257: see the package notes in the test {@code
 * SamplerPerf} report (a few ms per call; top-p adds one pass of exp).
 *
 * <p>Not thread-safe: one sampler per generating thread.
 */
public final class Sampler {
  private final SamplingConfig config;
  private final List<LogitsProcessor> processors;
  private final List<LogitsProcessor> greedyProcessors;
  private final boolean plain; // processed distribution == softmax(logits / T)
  private final double logProbTemperature;
  private SplittableRandom random;
  private final SplittableRandom[] rowRandoms; // null: one stream for the batch
  private long position;
  private double[] z = new double[0];
  private double[] w = new double[0];
  private float[] logitsBuffer = new float[0];

  /** A sampler with the processors the config asks for. */
  public Sampler(SamplingConfig config) {
    this(config, List.of());
  }

  /**
   * A sampler with extra processors, applied after the repetition penalty and before temperature
   * (where HF puts logits processors such as min-new-tokens or bad-words, ahead of the warpers).
   * Extra processors also apply in greedy mode. They change the sampling distribution but not
   * {@code trainLogProbs}, so they bias the KL the same way the filters do.
   */
  public Sampler(SamplingConfig config, List<LogitsProcessor> extraProcessors) {
    this(config, extraProcessors, null);
  }

  /**
   * A sampler whose row {@code b} draws from its own stream seeded with {@code rowSeeds[b]} ({@link
   * SamplingConfig#seed()} is not used); every call must then have {@code rowSeeds.length} rows.
   */
  public static Sampler perRow(
      SamplingConfig config, List<LogitsProcessor> extraProcessors, long[] rowSeeds) {
    if (rowSeeds == null || rowSeeds.length == 0) {
      throw new IllegalArgumentException("rowSeeds must hold one seed per row, got none");
    }
    return new Sampler(config, extraProcessors, rowSeeds);
  }

  private Sampler(SamplingConfig config, List<LogitsProcessor> extraProcessors, long[] rowSeeds) {
    if (config == null) {
      throw new IllegalArgumentException("config must not be null");
    }
    this.config = config;
    List<LogitsProcessor> extra = List.copyOf(extraProcessors);
    List<LogitsProcessor> greedyList = new ArrayList<>();
    if (config.repetitionPenalty() != 1) {
      greedyList.add(new RepetitionPenalty(config.repetitionPenalty()));
    }
    greedyList.addAll(extra);
    List<LogitsProcessor> list = new ArrayList<>(greedyList);
    if (config.temperature() != 1 && config.temperature() > 0) {
      list.add(new Temperature(config.temperature()));
    }
    if (config.topK() > 0) {
      list.add(new TopK(config.topK()));
    }
    if (config.topP() < 1) {
      list.add(new TopP(config.topP()));
    }
    if (config.minP() > 0) {
      list.add(new MinP(config.minP()));
    }
    this.greedyProcessors = List.copyOf(greedyList);
    this.processors = List.copyOf(list);
    this.plain = !config.biasesKl() && extra.isEmpty();
    this.logProbTemperature = config.logProbTemperature();
    this.random = new SplittableRandom(config.seed());
    if (rowSeeds == null) {
      this.rowRandoms = null;
    } else {
      this.rowRandoms = new SplittableRandom[rowSeeds.length];
      for (int i = 0; i < rowSeeds.length; i++) {
        rowRandoms[i] = new SplittableRandom(rowSeeds[i]);
      }
    }
  }

  /** The configuration. */
  public SamplingConfig config() {
    return config;
  }

  /** The processors applied in sampling mode, in order. */
  public List<LogitsProcessor> processors() {
    return processors;
  }

  /** Number of uniforms drawn so far (the stream position), for checkpoints. */
  public long position() {
    return position;
  }

  /** Moves the random stream to {@code position} uniforms after the seed (for resuming). */
  public void seekTo(long position) {
    if (rowRandoms != null) {
      throw new IllegalStateException(
          "a per-row sampler's streams start afresh with each batch; build a new one instead of"
              + " seeking");
    }
    if (position < 0) {
      throw new IllegalArgumentException("position must be >= 0, got " + position);
    }
    if (position < this.position) {
      random = new SplittableRandom(config.seed());
      this.position = 0;
    }
    while (this.position < position) {
      random.nextDouble();
      this.position++;
    }
  }

  /** Samples one token per row; no row is finished. */
  public SampleResult sample(NDArray logits, long[][] previousTokens) {
    return sample(logits, previousTokens, null, 0L);
  }

  /**
   * Samples one token per row.
   *
   * @param logits last-position logits, FLOAT32, shape (B, V); not closed or changed
   * @param previousTokens per row, the ids already in the sequence (prompt and generated), used
   *     only by the repetition penalty; may be null when the penalty is off; a null row is empty
   * @param finished per row, true when the row has already ended; may be null (none finished)
   * @param padId the id returned for finished rows
   */
  public SampleResult sample(
      NDArray logits, long[][] previousTokens, boolean[] finished, long padId) {
    Shape shape = logits.getShape();
    if (shape.dimension() != 2) {
      throw new IllegalArgumentException(
          "logits must be (B, V), got shape "
              + shape
              + "; take the last position with logits.get(\":, -1, :\")");
    }
    if (logits.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException(
          "logits must be FLOAT32, got " + logits.getDataType() + "; cast with toType(FLOAT32)");
    }
    long v = shape.get(1);
    if (v < 1 || shape.get(0) * v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("logits shape " + shape + " is empty or too large");
    }
    return sample(copyOf(logits), (int) v, previousTokens, finished, padId);
  }

  /**
   * The logits as floats in a buffer this sampler reuses from call to call: read through a view of
   * the array's own memory, so a decode step leaves no (B, V) garbage on the Java heap ({@code
   * toFloatArray()} made two 1.6 MB copies per step at GPT-2's vocabulary and batch 8, which grew
   * the heap and the peak RSS).
   */
  private float[] copyOf(NDArray logits) {
    int n = Math.toIntExact(logits.size());
    if (logitsBuffer.length != n) {
      logitsBuffer = new float[n];
    }
    logits.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(logitsBuffer);
    return logitsBuffer;
  }

  /**
   * Samples one token per row from a row-major (B, V) copy of the logits; see {@link
   * #sample(NDArray, long[][], boolean[], long)}.
   */
  public SampleResult sample(
      float[] logits, int vocabSize, long[][] previousTokens, boolean[] finished, long padId) {
    if (vocabSize < 1 || logits.length == 0 || logits.length % vocabSize != 0) {
      throw new IllegalArgumentException(
          "logits length "
              + logits.length
              + " is not a positive multiple of vocabSize "
              + vocabSize);
    }
    int b = logits.length / vocabSize;
    if (previousTokens != null && previousTokens.length != b) {
      throw new IllegalArgumentException(
          "previousTokens has " + previousTokens.length + " rows, logits have " + b);
    }
    if (finished != null && finished.length != b) {
      throw new IllegalArgumentException(
          "finished has " + finished.length + " rows, logits have " + b);
    }
    if (previousTokens == null && config.repetitionPenalty() != 1) {
      throw new IllegalArgumentException(
          "repetitionPenalty is "
              + config.repetitionPenalty()
              + " but previousTokens is null; pass each row's prompt and generated ids");
    }
    if (rowRandoms != null && rowRandoms.length != b) {
      throw new IllegalArgumentException(
          "this sampler has " + rowRandoms.length + " per-row seeds, logits have " + b + " rows");
    }
    if (z.length != vocabSize) {
      z = new double[vocabSize];
      w = new double[vocabSize];
    }
    long[] ids = new long[b];
    double[] trainLogProbs = new double[b];
    double[] filteredLogProbs = new double[b];
    for (int row = 0; row < b; row++) {
      double u = 0;
      if (!config.greedy()) {
        u = rowRandoms == null ? random.nextDouble() : rowRandoms[row].nextDouble();
        position++;
      }
      if (finished != null && finished[row]) {
        ids[row] = padId;
        trainLogProbs[row] = SampleResult.FINISHED_LOGPROB;
        filteredLogProbs[row] = SampleResult.FINISHED_LOGPROB;
        continue;
      }
      long[] previous = previousTokens == null ? null : previousTokens[row];
      sampleRow(logits, row, vocabSize, previous, u, ids, trainLogProbs, filteredLogProbs);
    }
    return new SampleResult(ids, trainLogProbs, filteredLogProbs);
  }

  private void sampleRow(
      float[] logits,
      int row,
      int v,
      long[] previous,
      double u,
      long[] ids,
      double[] trainLogProbs,
      double[] filteredLogProbs) {
    int off = row * v;
    // 1. validate and find the max of the raw row
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < v; i++) {
      float x = logits[off + i];
      if (x != x || x == Float.POSITIVE_INFINITY) {
        throw new IllegalArgumentException(
            "logits row " + row + " has " + x + " at token " + i + " (did the model diverge?)");
      }
      if (x > max) {
        max = x;
      }
    }
    if (max == Double.NEGATIVE_INFINITY) {
      throw new IllegalArgumentException("logits row " + row + " is -inf for every token");
    }
    // 2. training distribution softmax(x / T): weights exp((x - max) / T) into w
    double t = logProbTemperature;
    double trainTotal = 0;
    for (int i = 0; i < v; i++) {
      double wi = Math.exp((logits[off + i] - max) / t);
      w[i] = wi;
      trainTotal += wi;
    }
    double trainLogTotal = Math.log(trainTotal);
    int id;
    if (config.greedy()) {
      if (greedyProcessors.isEmpty()) {
        id = argmaxRaw(logits, off, v);
      } else {
        copyAndProcess(logits, off, v, previous, greedyProcessors);
        id = argmax(z, v, row);
      }
      filteredLogProbs[row] = 0.0;
    } else if (plain) {
      // 3a. sampling distribution == training distribution: reuse the weights
      id = inverseCdf(w, v, u * trainTotal);
      filteredLogProbs[row] = (logits[off + id] - max) / t - trainLogTotal;
    } else {
      // 3b. run the processors on a double copy, then sample from what is left
      copyAndProcess(logits, off, v, previous, processors);
      double zmax = z[argmax(z, v, row)];
      double total = 0;
      for (int i = 0; i < v; i++) {
        double wi = z[i] == Double.NEGATIVE_INFINITY ? 0.0 : Math.exp(z[i] - zmax);
        w[i] = wi;
        total += wi;
      }
      id = inverseCdf(w, v, u * total);
      filteredLogProbs[row] = (z[id] - zmax) - Math.log(total);
    }
    ids[row] = id;
    trainLogProbs[row] = (logits[off + id] - max) / t - trainLogTotal;
  }

  private void copyAndProcess(
      float[] logits, int off, int v, long[] previous, List<LogitsProcessor> list) {
    for (int i = 0; i < v; i++) {
      z[i] = logits[off + i];
    }
    for (LogitsProcessor p : list) {
      p.process(z, previous);
    }
  }

  /**
   * First index whose running sum exceeds target; the last positive weight if rounding runs out.
   */
  private static int inverseCdf(double[] weights, int v, double target) {
    double acc = 0;
    int last = -1;
    for (int i = 0; i < v; i++) {
      double wi = weights[i];
      if (wi > 0) {
        acc += wi;
        last = i;
        if (acc > target) {
          return i;
        }
      }
    }
    return last;
  }

  private static int argmaxRaw(float[] logits, int off, int v) {
    int best = 0;
    for (int i = 1; i < v; i++) {
      if (logits[off + i] > logits[off + best]) {
        best = i;
      }
    }
    return best;
  }

  /** Index of the largest processed logit, lowest index on ties; checks what processors left. */
  private static int argmax(double[] z, int v, int row) {
    int best = 0;
    for (int i = 0; i < v; i++) {
      double x = z[i];
      if (x != x || x == Double.POSITIVE_INFINITY) {
        throw new IllegalStateException(
            "a logits processor left " + x + " at token " + i + " of row " + row);
      }
      if (x > z[best]) {
        best = i;
      }
    }
    if (z[best] == Double.NEGATIVE_INFINITY) {
      throw new IllegalStateException(
          "logits row " + row + " has no token left after the logits processors");
    }
    return best;
  }
}
