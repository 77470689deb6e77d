package rlhf4j.distributed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.ppo.MiniBatchBackward;
import rlhf4j.ppo.MiniBatchUpdate;

/**
 * One partition of an optimizer step's mini-batches, on an executor: lease this JVM's policy with
 * the step's adapter (its own {@link rlhf4j.policy.lora.LoraModel} on the executor's base, never
 * the driver's arrays), run each mini-batch's forward and backward with the same code as the
 * single-process update ({@link MiniBatchBackward}), and send back the adapter's summed gradients
 * as flat floats. Backwards are serialised JVM-wide ({@link #LOCK}): DJL allows one gradient
 * collector at a time, and {@code local[N]} executors share the driver's JVM.
 */
final class GradientTask
    implements Function2<Integer, Iterator<Integer>, Iterator<GradientResult>>, Serializable {
  private static final long serialVersionUID = 1L;

  /** One backward at a time in this JVM (executor cores, and the driver's gradient write). */
  static final Object LOCK = new Object();

  private final BaseModelSpec base;
  private final Broadcast<AdapterPayload> payload;
  private final PortableBatch batch;
  private final MiniBatchBackward.Spec spec;
  private final MiniBatchUpdate.PortableLoss loss;
  private final String where;

  GradientTask(
      BaseModelSpec base,
      Broadcast<AdapterPayload> payload,
      PortableBatch batch,
      MiniBatchBackward.Spec spec,
      MiniBatchUpdate.PortableLoss loss,
      String where) {
    this.base = base;
    this.payload = payload;
    this.batch = batch;
    this.spec = spec;
    this.loss = loss;
    this.where = where;
  }

  @Override
  public Iterator<GradientResult> call(Integer partition, Iterator<Integer> starts) {
    long t0 = System.nanoTime();
    List<Integer> items = new ArrayList<>();
    starts.forEachRemaining(items::add);
    if (items.isEmpty()) {
      return List.<GradientResult>of().iterator();
    }
    int accumulationSteps = batch.rows() / spec.miniBatchSize();
    Map<String, Double> sums = new LinkedHashMap<>();
    float[][] grads;
    try (ExecutorPolicy.Lease lease = ExecutorPolicy.of(base).lease(payload.value());
        NDManager m = NDManager.newBaseManager()) {
      synchronized (LOCK) {
        Map<String, NDArray> trainable = lease.trainable();
        trainable.values().forEach(GradientTask::zero);
        try {
          ResponseBatch b = batch.toBatch(m);
          MiniBatchBackward backward = new MiniBatchBackward(lease.model(), spec);
          for (int start : items) {
            backward
                .run(b, start, accumulationSteps, loss, where)
                .forEach((k, v) -> sums.merge(k, v / accumulationSteps, Double::sum));
          }
          grads = new float[trainable.size()][];
          int i = 0;
          for (NDArray p : trainable.values()) {
            grads[i++] = gradient(p);
          }
        } finally {
          trainable.values().forEach(GradientTask::zero); // the cached adapter keeps no gradient
        }
      }
    }
    String executor = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
    return List.of(new GradientResult(executor, (System.nanoTime() - t0) / 1e9, grads, sums))
        .iterator();
  }

  /** {@code p}'s gradient as floats; zeros where no backward reached it. */
  private static float[] gradient(NDArray p) {
    try (NDArray g = JniUtils.getGradient((PtNDArray) p)) {
      if (g == null) {
        return new float[Math.toIntExact(p.size())];
      }
      return g.toType(DataType.FLOAT32, false).toFloatArray();
    }
  }

  private static void zero(NDArray p) {
    try (NDArray g = JniUtils.getGradient((PtNDArray) p)) {
      if (g != null) {
        JniUtils.zeroGrad((PtNDArray) p);
      }
    }
  }
}
