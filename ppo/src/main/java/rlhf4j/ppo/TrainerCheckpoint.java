package rlhf4j.ppo;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import rlhf4j.policy.io.AtomicFiles;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.io.CheckpointFolders;
import rlhf4j.policy.io.RecordJson;
import rlhf4j.policy.optim.OptimizerState;

/**
 * Checkpoints of the critic-free and preference trainers ({@link PolicyTrainer}: GRPO, RLOO,
 * REINFORCE++, DPO), one folder {@code <runDir>/checkpoint-<step>/} written atomically like {@link
 * PpoCheckpoint}'s: {@code adapter/} (PEFT, when an adapter writer is given), {@value
 * TrainableFiles#TRAINABLE}, {@value TrainableFiles#OPTIMIZER} and {@value #TRAINER_STATE} (step,
 * seed, optimizer counters, the run and algorithm configs). The step and the seed are the whole RNG
 * state, so a restored trainer continues exactly like an uninterrupted one.
 */
public final class TrainerCheckpoint {
  /** Step, seed, optimizer counters, configs; written last. */
  public static final String TRAINER_STATE = "trainer_state.json";

  static final int VERSION = 1;

  private static final Logger LOG = LoggerFactory.getLogger(TrainerCheckpoint.class);
  private static final CheckpointFolders FOLDERS =
      new CheckpointFolders(PpoCheckpoint.PREFIX, TRAINER_STATE);
  private static final String MISSING =
      "pass a checkpoint folder written by TrainerCheckpoint.save";

  private TrainerCheckpoint() {}

  /**
   * Writes {@code runDir/checkpoint-<step>/} atomically (a temporary folder renamed into place).
   *
   * @param adapter writes the PEFT adapter into {@code adapter/}; null to skip
   * @return the checkpoint folder
   */
  public static Path save(PolicyTrainer trainer, PpoCheckpoint.AdapterWriter adapter, Path runDir)
      throws IOException {
    Path target = FOLDERS.folder(runDir, trainer.stepCount());
    AtomicFiles.writeFolder(
        target,
        tmp -> {
          if (adapter != null) {
            Path adapterDir = tmp.resolve(PpoCheckpoint.ADAPTER_DIR);
            Files.createDirectories(adapterDir);
            adapter.write(adapterDir);
          }
          OptimizerState opt =
              TrainableFiles.write(
                  tmp, trainer.trainableParameters(), trainer.optimizer(), format(trainer));
          Files.writeString(tmp.resolve(TRAINER_STATE), RecordJson.format(stateJson(trainer, opt)));
        });
    LOG.info("saved checkpoint {}", target);
    return target;
  }

  /**
   * A step callback that saves every {@code every} steps and keeps the newest {@code keepLast}
   * checkpoints (0 keeps all); I/O errors become {@link UncheckedIOException}.
   */
  public static PolicyTrainer.StepCallback every(
      int every, PpoCheckpoint.AdapterWriter adapter, Path runDir, int keepLast) {
    if (every < 1) {
      throw new IllegalArgumentException("checkpoint interval must be >= 1, got " + every);
    }
    if (keepLast < 0) {
      throw new IllegalArgumentException("keepLast must be >= 0 (0 keeps all), got " + keepLast);
    }
    return (trainer, stats) -> {
      if (trainer.stepCount() % every != 0) {
        return;
      }
      try {
        save(trainer, adapter, runDir);
        if (keepLast > 0) {
          FOLDERS.keepLast(runDir, keepLast);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write checkpoint in " + runDir, e);
      }
    };
  }

  /**
   * Restores a checkpoint into {@code trainer} (same algorithm, trainable arrays and optimizer
   * type): everything is read and checked first, then the optimizer state, the trainable arrays
   * (bitwise) and the step are put back. Changed configs are logged: the run will not continue
   * exactly then.
   *
   * @throws CheckpointException if a file is missing, malformed or does not fit the trainer
   */
  public static void restore(PolicyTrainer trainer, Path checkpointDir) {
    Path stateFile = checkpointDir.resolve(TRAINER_STATE);
    JsonObject state = RecordJson.readObject(stateFile, MISSING);
    JsonElement f = state.get("format");
    if (f == null || !format(trainer).equals(f.getAsString())) {
      throw CheckpointException.of(
          stateFile,
          "is not a " + trainer.algorithm() + " trainer state (format " + f + "); " + MISSING);
    }
    if (!state.has("version") || state.get("version").getAsInt() != VERSION) {
      throw CheckpointException.of(
          stateFile, "has version " + state.get("version") + "; this rlhf4j reads " + VERSION);
    }
    JsonElement stepJson = state.get("step");
    if (stepJson == null || !stepJson.isJsonPrimitive() || stepJson.getAsLong() < 0) {
      throw CheckpointException.of(stateFile, "has no step >= 0");
    }
    JsonElement opt = state.get("optimizer");
    if (opt == null || !opt.isJsonObject()) {
      throw CheckpointException.of(stateFile, "has no object 'optimizer'");
    }
    Map<String, Long> scalars =
        TrainableFiles.optimizerScalars(stateFile, opt.getAsJsonObject(), trainer.optimizer());
    warnOnChange(checkpointDir, state, "run_config", describe(trainer.run()));
    warnOnChange(checkpointDir, state, "config", describe(trainer.config()));
    TrainableFiles.Pending pending =
        TrainableFiles.read(
            checkpointDir, trainer.trainableParameters(), trainer.optimizer(), scalars, MISSING);
    pending.apply();
    trainer.restoreStep(stepJson.getAsLong());
    LOG.info("restored checkpoint {} (step {})", checkpointDir, stepJson.getAsLong());
  }

  /** Complete checkpoints in {@code runDir}, oldest first. */
  public static List<Path> list(Path runDir) throws IOException {
    return FOLDERS.list(runDir);
  }

  /** The complete checkpoint with the highest step, if any. */
  public static Optional<Path> latest(Path runDir) throws IOException {
    return FOLDERS.latest(runDir);
  }

  /** The step in a checkpoint folder's name ({@code checkpoint-12} → 12). */
  public static long stepOf(Path checkpointDir) {
    return FOLDERS.stepOf(checkpointDir);
  }

  /** Deletes all but the newest {@code k} complete checkpoints in {@code runDir}. */
  public static void keepLast(Path runDir, int k) throws IOException {
    FOLDERS.keepLast(runDir, k);
  }

  private static String format(PolicyTrainer trainer) {
    return "rlhf4j-" + trainer.algorithm() + "-checkpoint";
  }

  private static JsonObject stateJson(PolicyTrainer trainer, OptimizerState opt) {
    JsonObject j = new JsonObject();
    j.addProperty("format", format(trainer));
    j.addProperty("version", VERSION);
    j.addProperty("step", trainer.stepCount());
    j.addProperty("seed", trainer.run().seed());
    j.addProperty(
        "rng",
        "derived: prompt or pair order, sampling and the torch seed for dropout are mixed from"
            + " (seed, step)");
    j.add("optimizer", TrainableFiles.optimizerJson(trainer.optimizer(), opt));
    JsonArray names = new JsonArray();
    trainer.trainableParameters().keySet().forEach(names::add);
    j.add("trainable", names);
    j.addProperty("run_config", describe(trainer.run()));
    j.addProperty("config", describe(trainer.config()));
    return j;
  }

  private static void warnOnChange(Path dir, JsonObject state, String key, String current) {
    JsonElement saved = state.get(key);
    if (saved != null && !saved.getAsString().equals(current)) {
      LOG.warn(
          "resuming {} with a different {} (saved {}, now {}); the run will not continue exactly",
          dir,
          key,
          saved.getAsString(),
          current);
    }
  }

  /**
   * A record as {@code Name[a=1, b=[2.0, 3.0]]}: like its {@code toString()}, but arrays (also
   * inside an {@code Optional}) by content, so equal configs describe equally.
   */
  static String describe(Record r) {
    StringBuilder sb = new StringBuilder(r.getClass().getSimpleName()).append('[');
    RecordComponent[] components = r.getClass().getRecordComponents();
    for (int i = 0; i < components.length; i++) {
      Object v;
      try {
        v = components[i].getAccessor().invoke(r);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read " + components[i], e);
      }
      if (v instanceof Optional<?> o) {
        v = o.map(TrainerCheckpoint::text).orElse("empty");
      }
      sb.append(i == 0 ? "" : ", ").append(components[i].getName()).append('=').append(text(v));
    }
    return sb.append(']').toString();
  }

  private static String text(Object v) {
    if (v instanceof double[] d) {
      return Arrays.toString(d);
    }
    if (v instanceof float[] f) {
      return Arrays.toString(f);
    }
    if (v instanceof int[] n) {
      return Arrays.toString(n);
    }
    if (v instanceof long[] n) {
      return Arrays.toString(n);
    }
    return String.valueOf(v);
  }
}
