package rlhf4j.ppo;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import rlhf4j.policy.io.AtomicFiles;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.io.CheckpointFolders;
import rlhf4j.policy.io.RecordJson;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.optim.OptimizerState;
import rlhf4j.reward.norm.RunningMoments;

/**
 * PPO checkpoints: everything a {@link PpoTrainer} needs to continue a run exactly, in one folder
 * {@code <runDir>/checkpoint-<step>/}:
 *
 * <ul>
 *   <li>{@code adapter/}: the policy adapter in PEFT format (when an adapter writer is given);
 *   <li>{@code value_head.safetensors}: the value head under TRL's names ({@code
 *       v_head.summary.weight}, {@code v_head.summary.bias});
 *   <li>{@code trainable.safetensors}: every trainable array under the trainer's names, restored
 *       bitwise;
 *   <li>{@code optimizer.safetensors}: the optimizer's state arrays;
 *   <li>{@code trainer_state.json}: step, KL coefficient, running score moments, optimizer step
 *       counters, seed (the trainer derives all its randomness from the seed and the step, so these
 *       two are its RNG state);
 *   <li>{@code ppo_config.json}: the {@link PpoConfig}.
 * </ul>
 *
 * <p>A checkpoint is written into a hidden temporary folder beside it, flushed to disk and renamed
 * into place, so a {@code checkpoint-<step>} folder is always complete; {@link #latest} ignores
 * anything else. The frozen base model is not saved: resume with the same base weights.
 */
public final class PpoCheckpoint {
  /** Folder name prefix; the step follows. */
  public static final String PREFIX = "checkpoint-";

  /** PEFT adapter folder inside a checkpoint. */
  public static final String ADAPTER_DIR = "adapter";

  /** Value head under TRL's names. */
  public static final String VALUE_HEAD = "value_head.safetensors";

  /** Every trainable array under the trainer's names. */
  public static final String TRAINABLE = TrainableFiles.TRAINABLE;

  /** Optimizer state arrays. */
  public static final String OPTIMIZER = TrainableFiles.OPTIMIZER;

  /** Step, KL coefficient, score moments, optimizer counters, seed; written last. */
  public static final String TRAINER_STATE = "trainer_state.json";

  /** The PPO hyper-parameters. */
  public static final String CONFIG = "ppo_config.json";

  static final String FORMAT = "rlhf4j-ppo-checkpoint";
  static final int VERSION = 1;

  private static final Logger LOG = LoggerFactory.getLogger(PpoCheckpoint.class);
  private static final CheckpointFolders FOLDERS = new CheckpointFolders(PREFIX, TRAINER_STATE);
  private static final String MISSING = "pass a checkpoint folder written by PpoCheckpoint.save";

  private PpoCheckpoint() {}

  /** Writes the policy's adapter into a folder in PEFT format; {@code LoraModel::save} fits. */
  @FunctionalInterface
  public interface AdapterWriter {
    void write(Path dir) throws IOException;
  }

  // ------------------------------------------------------------------ save

  /**
   * Saves {@code trainer} with {@code policy}'s adapters; see {@link #save(PpoTrainer,
   * AdapterWriter, Path)}.
   */
  public static Path save(PpoTrainer trainer, LoraModel policy, Path runDir) throws IOException {
    return save(trainer, policy::save, runDir);
  }

  /**
   * Writes {@code runDir/checkpoint-<step>/} atomically: into a temporary folder first, renamed
   * into place when complete. An existing checkpoint of the same step is replaced. On failure the
   * temporary folder is deleted and no {@code checkpoint-<step>} folder appears.
   *
   * @param adapter writes the PEFT adapter into {@code adapter/}; null to skip (full finetuning)
   * @return the checkpoint folder
   */
  public static Path save(PpoTrainer trainer, AdapterWriter adapter, Path runDir)
      throws IOException {
    Path target = FOLDERS.folder(runDir, trainer.stepCount());
    AtomicFiles.writeFolder(
        target,
        tmp -> {
          if (adapter != null) {
            Path adapterDir = tmp.resolve(ADAPTER_DIR);
            Files.createDirectories(adapterDir);
            adapter.write(adapterDir);
          }
          SafeTensors.write(tmp.resolve(VALUE_HEAD), trainer.valueHead().parameters(), Map.of());
          OptimizerState opt =
              TrainableFiles.write(tmp, trainer.trainableParameters(), trainer.optimizer(), FORMAT);
          Files.writeString(
              tmp.resolve(CONFIG), RecordJson.format(RecordJson.toJson(trainer.config())));
          Files.writeString(tmp.resolve(TRAINER_STATE), RecordJson.format(stateJson(trainer, opt)));
        });
    LOG.info("saved checkpoint {}", target);
    return target;
  }

  /**
   * A {@link PpoTrainer.StepCallback} that saves every {@code every} steps and then keeps only the
   * newest {@code keepLast} checkpoints (0 keeps all). I/O errors become {@link
   * UncheckedIOException}.
   */
  public static PpoTrainer.StepCallback every(
      int every, AdapterWriter adapter, Path runDir, int keepLast) {
    if (every < 1) {
      throw new IllegalArgumentException("checkpoint interval must be >= 1, got " + every);
    }
    if (keepLast < 0) {
      throw new IllegalArgumentException("keepLast must be >= 0 (0 keeps all), got " + keepLast);
    }
    return (trainer, rollout, stats) -> {
      if (trainer.stepCount() % every != 0) {
        return;
      }
      try {
        save(trainer, adapter, runDir);
        if (keepLast > 0) {
          keepLast(runDir, keepLast);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write checkpoint in " + runDir, e);
      }
    };
  }

  private static JsonObject stateJson(PpoTrainer trainer, OptimizerState opt) {
    PpoTrainer.State state = trainer.state();
    JsonObject j = new JsonObject();
    j.addProperty("format", FORMAT);
    j.addProperty("version", VERSION);
    j.addProperty("step", state.step());
    j.addProperty("seed", trainer.config().seed());
    JsonObject rng = new JsonObject();
    rng.addProperty(
        "scheme",
        "derived: prompt order, sampling seed, minibatch permutations and the torch seed for"
            + " dropout are mixed from (seed, step)");
    rng.addProperty("seed", trainer.config().seed());
    rng.addProperty("next_step", state.step());
    j.add("rng", rng);
    JsonObject kl = new JsonObject();
    kl.addProperty("type", trainer.klController().getClass().getSimpleName());
    kl.addProperty("value", state.klCoef());
    j.add("kl_controller", kl);
    j.add(
        "score_moments",
        state.scoreMoments() == null ? JsonNull.INSTANCE : RecordJson.toJson(state.scoreMoments()));
    j.add("optimizer", TrainableFiles.optimizerJson(trainer.optimizer(), opt));
    JsonArray names = new JsonArray();
    trainer.trainableParameters().keySet().forEach(names::add);
    j.add("trainable", names);
    return j;
  }

  // ------------------------------------------------------------------ restore

  /**
   * Restores a checkpoint into {@code trainer}, which must have the same trainable arrays (names,
   * shapes, dtypes), optimizer type and score scaling as the one saved: copies every trainable
   * array in place (bitwise, without gradients), imports the optimizer state, and restores the KL
   * coefficient, the running score moments and the step. Everything is read and checked before
   * anything changes. A config differing from the saved one is logged, since the run will then not
   * continue exactly.
   *
   * @throws CheckpointException if a file is missing, malformed or does not fit the trainer
   */
  public static void restore(PpoTrainer trainer, Path checkpointDir) {
    Path stateFile = checkpointDir.resolve(TRAINER_STATE);
    JsonObject state = RecordJson.readObject(stateFile, MISSING);
    checkFormat(stateFile, state);
    PpoTrainer.State saved = trainerState(stateFile, state);
    RunningMoments.State moments = saved.scoreMoments();
    if ((moments != null) != (trainer.scoreMoments() != null)) {
      throw CheckpointException.of(
          stateFile,
          moments != null
              ? "holds score moments but this trainer does not scale scores; set"
                  + " useScoreScaling/scoreClip as in the saved run"
              : "holds no score moments but this trainer scales scores; set useScoreScaling false"
                  + " and no scoreClip, as in the saved run");
    }
    Map<String, Long> scalars =
        TrainableFiles.optimizerScalars(
            stateFile, getObject(stateFile, state, "optimizer"), trainer.optimizer());
    warnOnConfigChange(checkpointDir, trainer.config());
    TrainableFiles.Pending pending =
        TrainableFiles.read(
            checkpointDir, trainer.trainableParameters(), trainer.optimizer(), scalars, MISSING);

    // everything is read and checked: apply
    pending.apply();
    trainer.restore(saved);
    LOG.info("restored checkpoint {} (step {})", checkpointDir, saved.step());
  }

  /** The trainer's {@link PpoTrainer.State} in {@value #TRAINER_STATE}. */
  private static PpoTrainer.State trainerState(Path stateFile, JsonObject state) {
    long step = getLong(stateFile, state, "step");
    double klValue = getObject(stateFile, state, "kl_controller").get("value").getAsDouble();
    JsonElement momentsJson = state.get("score_moments");
    RunningMoments.State moments = null;
    if (momentsJson != null && momentsJson.isJsonObject()) {
      moments =
          RecordJson.fromJson(RunningMoments.State.class, momentsJson.getAsJsonObject(), stateFile);
    } else if (momentsJson != null && !momentsJson.isJsonNull()) {
      throw CheckpointException.of(stateFile, "score_moments is not an object or null");
    }
    try {
      return new PpoTrainer.State(step, klValue, moments);
    } catch (IllegalArgumentException e) {
      throw CheckpointException.of(stateFile, "holds an invalid state: " + e.getMessage());
    }
  }

  private static void warnOnConfigChange(Path dir, PpoConfig current) {
    if (!Files.isRegularFile(dir.resolve(CONFIG))) {
      LOG.warn("{} has no {}; cannot check the PPO config", dir, CONFIG);
      return;
    }
    PpoConfig saved = readConfig(dir);
    if (saved.equals(current)) {
      return;
    }
    List<String> diffs = RecordJson.differences(saved, current);
    LOG.warn(
        "resuming {} with a different PPO config ({}); the run will not continue exactly",
        dir,
        String.join(", ", diffs));
  }

  // ------------------------------------------------------------------ finding checkpoints

  /**
   * Complete checkpoints in {@code runDir} ({@code checkpoint-<step>} folders holding {@value
   * #TRAINER_STATE}), oldest first; temporary folders and other files are ignored. Empty if the
   * folder does not exist.
   */
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

  // ------------------------------------------------------------------ config JSON

  /** Reads {@value #CONFIG} from a checkpoint folder. */
  public static PpoConfig readConfig(Path checkpointDir) {
    Path file = checkpointDir.resolve(CONFIG);
    return RecordJson.fromJson(PpoConfig.class, RecordJson.readObject(file, MISSING), file);
  }

  // ------------------------------------------------------------------ helpers

  private static void checkFormat(Path file, JsonObject state) {
    JsonElement f = state.get("format");
    if (f == null || !FORMAT.equals(f.getAsString())) {
      throw CheckpointException.of(file, "is not an rlhf4j PPO trainer state (format " + f + ")");
    }
    int v = (int) getLong(file, state, "version");
    if (v != VERSION) {
      throw CheckpointException.of(
          file, "has version " + v + "; this rlhf4j reads version " + VERSION);
    }
  }

  private static long getLong(Path file, JsonObject j, String key) {
    JsonElement e = j.get(key);
    if (e == null || !e.isJsonPrimitive()) {
      throw CheckpointException.of(file, "has no number '" + key + "'");
    }
    return e.getAsLong();
  }

  private static JsonObject getObject(Path file, JsonObject j, String key) {
    JsonElement e = j.get(key);
    if (e == null || !e.isJsonObject()) {
      throw CheckpointException.of(file, "has no object '" + key + "'");
    }
    return e.getAsJsonObject();
  }
}
