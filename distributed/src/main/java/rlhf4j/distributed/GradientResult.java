package rlhf4j.distributed;

import java.io.Serializable;
import java.util.Map;

/**
 * What one gradient task sends back: the summed gradients of its mini-batches, one flat array per
 * trainable in the adapter's order, and the mini-batches' statistics each divided by the step's
 * mini-batch count and summed.
 *
 * @param executorId Spark's id of the executor that ran the task
 * @param seconds the task's wall time on the executor
 * @param gradients one flat float array per trainable parameter, in order
 * @param stats the loss statistics, divided by the accumulation steps and summed
 */
record GradientResult(
    String executorId, double seconds, float[][] gradients, Map<String, Double> stats)
    implements Serializable {
  private static final long serialVersionUID = 1L;
}
