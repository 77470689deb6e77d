package rlhf4j.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.io.TensorData;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.optim.Optimizer;
import rlhf4j.policy.optim.OptimizerState;

/**
 * The part of a trainer checkpoint that every trainer shares: the trainable arrays ({@value
 * #TRAINABLE}, under the trainer's names, restored bitwise) and the optimizer's state ({@value
 * #OPTIMIZER} plus its step counters in the trainer-state JSON). PPO's and the critic-free
 * trainers' checkpoints both write and read them through this class.
 */
public final class TrainableFiles {
  /** Every trainable array under the trainer's names. */
  public static final String TRAINABLE = "trainable.safetensors";

  /** Optimizer state arrays. */
  public static final String OPTIMIZER = "optimizer.safetensors";

  private TrainableFiles() {}

  /**
   * Writes {@value #TRAINABLE} and {@value #OPTIMIZER} into {@code dir}.
   *
   * @param format the checkpoint format, recorded in the files' metadata
   * @return the optimizer state written (its scalars go into the trainer-state JSON)
   */
  public static OptimizerState write(
      Path dir, Map<String, NDArray> trainable, Optimizer optimizer, String format)
      throws IOException {
    SafeTensors.write(dir.resolve(TRAINABLE), trainable, Map.of("format", format));
    OptimizerState opt = optimizer.exportState();
    SafeTensors.write(dir.resolve(OPTIMIZER), opt.tensors(), Map.of("format", format));
    return opt;
  }

  /** The trainer-state JSON's {@code optimizer} object: its type and step counters. */
  public static JsonObject optimizerJson(Optimizer optimizer, OptimizerState opt) {
    JsonObject optimizerJson = new JsonObject();
    optimizerJson.addProperty("type", optimizer.getClass().getSimpleName());
    JsonObject scalars = new JsonObject();
    opt.scalars().forEach(scalars::addProperty);
    optimizerJson.add("scalars", scalars);
    return optimizerJson;
  }

  /**
   * Reads the optimizer's step counters from the trainer-state JSON's {@code optimizer} object and
   * checks that it was written by an optimizer of {@code optimizer}'s type.
   *
   * @throws CheckpointException naming {@code stateFile}
   */
  public static Map<String, Long> optimizerScalars(
      Path stateFile, JsonObject optJson, Optimizer optimizer) {
    Map<String, Long> scalars = new LinkedHashMap<>();
    JsonElement s = optJson.get("scalars");
    if (s == null || !s.isJsonObject()) {
      throw CheckpointException.of(stateFile, "has no object 'scalars'");
    }
    for (Map.Entry<String, JsonElement> e : s.getAsJsonObject().entrySet()) {
      scalars.put(e.getKey(), e.getValue().getAsLong());
    }
    String optType = optJson.has("type") ? optJson.get("type").getAsString() : null;
    String ourType = optimizer.getClass().getSimpleName();
    if (optType != null && !optType.equals(ourType)) {
      throw CheckpointException.of(
          stateFile, "was written with optimizer " + optType + " but this trainer uses " + ourType);
    }
    return scalars;
  }

  /** Read and checked files, applied by {@link #apply()}. */
  public static final class Pending {
    private final Map<String, NDArray> params;
    private final Map<String, byte[]> bytes;
    private final Path optFile;
    private final SafeTensors.Contents optTensors;
    private final Map<String, Long> scalars;
    private final Optimizer optimizer;

    private Pending(
        Map<String, NDArray> params,
        Map<String, byte[]> bytes,
        Path optFile,
        SafeTensors.Contents optTensors,
        Map<String, Long> scalars,
        Optimizer optimizer) {
      this.params = params;
      this.bytes = bytes;
      this.optFile = optFile;
      this.optTensors = optTensors;
      this.scalars = scalars;
      this.optimizer = optimizer;
    }

    /** Imports the optimizer state, then copies every trainable array in place (no gradients). */
    public void apply() {
      try (NDManager loading = NDManager.newBaseManager()) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (TensorData t : optTensors.tensors().values()) {
          tensors.put(t.name(), copyOf(optFile, t, loading));
        }
        try {
          optimizer.importState(new OptimizerState(tensors, scalars));
        } catch (IllegalArgumentException e) {
          throw new CheckpointException(optFile + ": " + e.getMessage(), e);
        }
      }
      try (NoGrad ng = NoGrad.enter()) {
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
          byte[] raw = bytes.get(e.getKey());
          // a heap buffer: DJL copies it into memory it owns (never alias the file mapping)
          e.getValue().set(ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN));
        }
      }
    }
  }

  /**
   * Reads {@value #TRAINABLE} and {@value #OPTIMIZER} from {@code checkpointDir} and checks them
   * against {@code params} (names, shapes, dtypes) without changing anything.
   *
   * @param missingHint how to fix a missing file
   * @throws CheckpointException if a file is missing, malformed or does not fit
   */
  public static Pending read(
      Path checkpointDir,
      Map<String, NDArray> params,
      Optimizer optimizer,
      Map<String, Long> scalars,
      String missingHint) {
    Path trainableFile = checkpointDir.resolve(TRAINABLE);
    SafeTensors.Contents trainable = readSafeTensors(trainableFile, missingHint);
    checkNames(trainableFile, trainable.tensors().keySet(), params.keySet());
    Map<String, byte[]> bytes = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      TensorData t = trainable.get(e.getKey());
      NDArray p = e.getValue();
      String dtype = SafeTensors.dtypeName(p.getDataType());
      if (!t.dtype().equals(dtype) || !Arrays.equals(t.shape(), p.getShape().getShape())) {
        throw CheckpointException.of(
            trainableFile,
            "tensor '"
                + t.name()
                + "' is "
                + t.dtype()
                + Arrays.toString(t.shape())
                + " but the trainer's array is "
                + dtype
                + Arrays.toString(p.getShape().getShape())
                + "; the checkpoint belongs to another model or LoRA config");
      }
      byte[] raw = new byte[t.bytes().remaining()];
      t.bytes().duplicate().get(raw);
      bytes.put(e.getKey(), raw);
    }
    Path optFile = checkpointDir.resolve(OPTIMIZER);
    SafeTensors.Contents optTensors = readSafeTensors(optFile, missingHint);
    return new Pending(params, bytes, optFile, optTensors, scalars, optimizer);
  }

  private static void checkNames(Path file, Set<String> saved, Set<String> ours) {
    TreeSet<String> missing = new TreeSet<>(ours);
    missing.removeAll(saved);
    TreeSet<String> extra = new TreeSet<>(saved);
    extra.removeAll(ours);
    if (!missing.isEmpty() || !extra.isEmpty()) {
      throw CheckpointException.of(
          file,
          "does not hold the trainer's trainable arrays: missing "
              + abbreviate(missing)
              + ", unexpected "
              + abbreviate(extra)
              + "; build the trainer with the same LoRA config (targets, rank) as the saved run");
    }
  }

  private static String abbreviate(TreeSet<String> names) {
    List<String> l = new ArrayList<>(names);
    return l.size() <= 5 ? l.toString() : l.subList(0, 5) + " and " + (l.size() - 5) + " more";
  }

  private static SafeTensors.Contents readSafeTensors(Path file, String missingHint) {
    if (!Files.isRegularFile(file)) {
      throw CheckpointException.of(file, "is missing; " + missingHint);
    }
    return SafeTensors.read(file);
  }

  /** An exact copy (no dtype widening) of a saved tensor, owned by {@code manager}. */
  private static NDArray copyOf(Path file, TensorData t, NDManager manager) {
    try {
      return t.toNDArrayExact(manager);
    } catch (IllegalArgumentException e) {
      throw CheckpointException.of(
          file, "tensor '" + t.name() + "' has dtype " + t.dtype() + ", which rlhf4j never saves");
    }
  }
}
