package rlhf4j.distributed;

import java.io.Serializable;

/**
 * A prompt with its index in the step's batch (the index seeds its sampling stream).
 *
 * @param index the prompt's index in the step's batch
 * @param ids the prompt's token ids // (P)
 */
public record IndexedPrompt(int index, long[] ids) implements Serializable {
  private static final long serialVersionUID = 1L;
}
