package rlhf4j.reward.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * A right-padded batch of token sequences.
 *
 * @param ids token ids, padding positions hold the pad id // (B, T) int64
 * @param mask 1 for real tokens, 0 for padding // (B, T) int64
 */
record Batch(NDArray ids, NDArray mask) {

  /**
   * Pads {@code sequences} on the right to the longest one.
   *
   * @throws IllegalArgumentException if a sequence is empty or holds an id outside [0, vocab)
   */
  static Batch rightPadded(NDManager manager, List<long[]> sequences, long padId, int vocab) {
    int b = sequences.size();
    int t = 0;
    for (long[] s : sequences) {
      t = Math.max(t, s.length);
    }
    long[] ids = new long[b * t];
    long[] mask = new long[b * t];
    for (int i = 0; i < b; i++) {
      long[] s = sequences.get(i);
      if (s.length == 0) {
        throw new IllegalArgumentException("sequence " + i + " of the batch is empty");
      }
      for (int j = 0; j < t; j++) {
        if (j < s.length) {
          if (s[j] < 0 || s[j] >= vocab) {
            throw new IllegalArgumentException(
                "token id "
                    + s[j]
                    + " at position "
                    + j
                    + " of sequence "
                    + i
                    + " is outside the vocabulary [0, "
                    + vocab
                    + "); the tokenizer and the model do not belong together");
          }
          ids[i * t + j] = s[j];
          mask[i * t + j] = 1;
        } else {
          ids[i * t + j] = padId;
        }
      }
    }
    return new Batch(manager.create(ids, new Shape(b, t)), manager.create(mask, new Shape(b, t)));
  }
}
