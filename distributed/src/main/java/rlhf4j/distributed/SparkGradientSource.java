package rlhf4j.distributed;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.ppo.GradientSource;
import rlhf4j.ppo.MiniBatchBackward;
import rlhf4j.ppo.MiniBatchUpdate;

/**
 * The data-parallel update on Spark (GRPO): per optimizer step one Spark job. The driver broadcasts
 * the policy's active adapter ({@link AdapterPayload}, never the base) and splits the step's
 * mini-batches over tasks; each task ({@link GradientTask}) sends with it the step's token ids and
 * masks and the loss's per-row arrays ({@link MiniBatchUpdate.PortableLoss}), runs its
 * mini-batches' backwards on the executor's own copy of the adapter, and returns the summed adapter
 * gradients as flat floats. The driver sums them into the trainables' {@code .grad}, so the update
 * clips and steps as in one process; the result equals the single-process update within float
 * summation tolerance (exactly the same losses, summed in another order). Adapter dropout draws its
 * masks on the executors, so set {@code lora_dropout} 0 where the two must agree.
 *
 * <p>Every task carries the whole step's batch and loss data (B x T arrays; small next to the
 * activations, and reported): the metrics {@code distributed/update_broadcast_bytes} (adapter),
 * {@code distributed/update_task_bytes} (the serialized tasks, all of them), {@code
 * distributed/update_returned_bytes} (the serialized results) and {@code distributed/update_tasks},
 * per optimizer step.
 */
public final class SparkGradientSource implements GradientSource {
  private final JavaSparkContext spark;
  private final BaseModelSpec base;
  private final LoraModel policy;
  private final int partitions;

  /**
   * @param spark the context (the rollouts' one; not stopped here)
   * @param base where every executor reads the base model
   * @param policy the driver's policy; its active adapter is broadcast each optimizer step
   * @param partitions most tasks per optimizer step (0: Spark's default parallelism); never more
   *     than the step's mini-batches
   */
  public SparkGradientSource(
      JavaSparkContext spark, BaseModelSpec base, LoraModel policy, int partitions) {
    this.spark = Objects.requireNonNull(spark, "spark");
    this.base = Objects.requireNonNull(base, "base: where executors find the base model");
    this.policy = Objects.requireNonNull(policy, "policy");
    if (partitions < 0) {
      throw new IllegalArgumentException(
          "partitions must be >= 0 (0 = Spark's default parallelism), got " + partitions);
    }
    this.partitions = partitions > 0 ? partitions : spark.defaultParallelism();
  }

  @Override
  public Map<String, Double> accumulate(
      Map<String, NDArray> trainable,
      ResponseBatch batch,
      MiniBatchBackward.Spec spec,
      MiniBatchUpdate.PortableLoss loss,
      String where) {
    AdapterPayload payload = AdapterPayload.of(policy, null);
    Broadcast<AdapterPayload> broadcast = spark.broadcast(payload);
    try {
      PortableBatch rows = PortableBatch.of(batch);
      List<Integer> starts = new ArrayList<>();
      for (int s = 0; s < rows.rows(); s += spec.miniBatchSize()) {
        starts.add(s);
      }
      int slices = Math.min(starts.size(), partitions);
      GradientTask task = new GradientTask(base, broadcast, rows, spec, loss, where);
      List<GradientResult> results;
      try {
        results = spark.parallelize(starts, slices).mapPartitionsWithIndex(task, false).collect();
      } catch (Exception e) { // Spark throws SparkException undeclared
        throw failure(e, where);
      }
      Map<String, Double> stats = new LinkedHashMap<>();
      long returned = 0;
      double[][] sum = new double[trainable.size()][];
      for (GradientResult r : results) {
        returned += serializedSize(r);
        r.stats().forEach((k, v) -> stats.merge(k, v, Double::sum));
        add(sum, r.gradients(), trainable);
      }
      write(trainable, sum);
      stats.put("distributed/update_broadcast_bytes", (double) payload.bytes());
      stats.put("distributed/update_task_bytes", (double) serializedSize(task) * slices);
      stats.put("distributed/update_returned_bytes", (double) returned);
      stats.put("distributed/update_tasks", (double) slices);
      return stats;
    } finally {
      broadcast.destroy();
    }
  }

  /** Adds one task's gradients to the running sums, checking they fit the driver's trainables. */
  private static void add(double[][] sum, float[][] grads, Map<String, NDArray> trainable) {
    if (grads.length != sum.length) {
      throw new IllegalStateException(
          "an executor's adapter has "
              + grads.length
              + " trainable arrays, the driver's "
              + sum.length
              + "; executors must train the same adapter as the driver");
    }
    int i = 0;
    for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
      long size = e.getValue().size();
      if (grads[i].length != size) {
        throw new IllegalStateException(
            "an executor's gradient of "
                + e.getKey()
                + " has "
                + grads[i].length
                + " values, the parameter "
                + size
                + "; executors must train the same adapter as the driver");
      }
      if (sum[i] == null) {
        sum[i] = new double[grads[i].length];
      }
      for (int j = 0; j < grads[i].length; j++) {
        sum[i][j] += grads[i][j];
      }
      i++;
    }
  }

  /**
   * Sets the (zeroed) gradients of {@code trainable} to {@code sum}: the backward of {@code
   * sum_i(p_i * G_i)}, whose gradient with respect to {@code p_i} is exactly {@code G_i}.
   */
  private static void write(Map<String, NDArray> trainable, double[][] sum) {
    synchronized (GradientTask.LOCK) {
      try (NDManager m = NDManager.newBaseManager();
          GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray total = null;
        int i = 0;
        for (NDArray p : trainable.values()) {
          if (sum[i] == null) {
            i++;
            continue;
          }
          float[] g = new float[sum[i].length];
          for (int j = 0; j < g.length; j++) {
            g[j] = (float) sum[i][j];
          }
          NDArray grad = m.create(g, p.getShape()).toType(p.getDataType(), false);
          NDArray term = p.mul(grad).sum(); // ()
          total = total == null ? term : total.add(term);
          i++;
        }
        if (total != null) {
          gc.backward(total);
        }
      }
    }
  }

  /** The executor's divergence as this process's, else the Spark failure with where it happened. */
  private static RuntimeException failure(Exception e, String where) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof DivergenceException d) {
        return new DivergenceException(d.getMessage() + " (on a Spark executor)");
      }
    }
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    return new IllegalStateException(
        "the Spark update at " + where + " failed (no optimizer step ran): " + message, e);
  }

  private static long serializedSize(Serializable o) {
    long[] count = {0};
    OutputStream counter =
        new OutputStream() {
          @Override
          public void write(int b) {
            count[0]++;
          }

          @Override
          public void write(byte[] b, int off, int len) {
            count[0] += len;
          }
        };
    try (ObjectOutputStream out = new ObjectOutputStream(counter)) {
      out.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException("could not measure a task's size", e);
    }
    return count[0];
  }
}
