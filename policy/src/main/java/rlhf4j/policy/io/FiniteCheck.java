package rlhf4j.policy.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;

/** Refuses weights holding NaN or infinite values, naming the file and the tensor. */
public final class FiniteCheck {
  private FiniteCheck() {}

  /**
   * Throws a {@link CheckpointException} naming {@code file} and {@code name} when the floating
   * array {@code a} holds a NaN or an infinity; integer arrays pass.
   */
  public static void require(NDArray a, Path file, String name) {
    if (!a.getDataType().isFloating()) {
      return;
    }
    long count;
    try (NDArray nan = a.isNaN();
        NDArray inf = a.isInfinite();
        NDArray bad = nan.logicalOr(inf);
        NDArray n = bad.countNonzero()) {
      count = n.getLong();
    }
    if (count > 0) {
      throw CheckpointException.of(
          file,
          "tensor '"
              + name
              + "' holds "
              + count
              + " NaN or infinite value(s): the file is corrupt or was saved after training"
              + " diverged");
    }
  }

  /** Checks every tensor of a safetensors file. */
  public static void require(SafeTensors.Contents contents) {
    try (NDManager m = NDManager.newBaseManager()) {
      for (TensorData t : contents.tensors().values()) {
        try (NDArray a = t.toNDArray(m)) {
          require(a, contents.file(), t.name());
        }
      }
    }
  }
}
