package rlhf4j.distributed;

import java.io.Serializable;

/**
 * What one rollout task sends back: its rows packed by {@link RolloutRow#encode}, which executor
 * ran it and for how long.
 *
 * @param executorId Spark's id of the executor that ran the task
 * @param seconds the task's wall time on the executor (adapter swap, generation, reference, reward)
 * @param rows the packed rows
 */
public record PartitionResult(String executorId, double seconds, byte[] rows)
    implements Serializable {
  private static final long serialVersionUID = 1L;
}
