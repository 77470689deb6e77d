package rlhf4j.reward.model;

import ai.djl.ndarray.NDArray;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import rlhf4j.policy.io.AtomicFiles;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.io.FiniteCheck;
import rlhf4j.policy.io.RecordJson;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.io.TensorData;
import rlhf4j.policy.lora.AdapterConfigFile;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.quant.QuantConfig;

/**
 * A LoRA reward model, as PEFT's {@code PeftModelForSequenceClassification} ({@code task_type
 * SEQ_CLS}, which TRL's {@code RewardTrainer} builds from a {@code peft_config}): LoRA adapters on
 * the frozen backbone of a {@link RewardModel}, plus its score head trained in full and saved with
 * the adapter (PEFT's {@code modules_to_save = ["score"]}).
 *
 * <p>Folder ({@link #save}): {@code adapter_config.json} (PEFT's keys, {@code task_type SEQ_CLS},
 * {@code modules_to_save ["score"]}, {@code base_model_name_or_path} the base folder) and {@code
 * adapter_model.safetensors} with the LoRA tensors under PEFT's saved names ({@code
 * base_model.model.<path>.lora_A.weight} (r, in), {@code ...lora_B.weight} (out, r)) and the score
 * head as {@value #SCORE_KEY} (1, D): PEFT saves a modules_to_save copy {@code
 * <path>.modules_to_save.default.weight} as {@code <path>.weight}. Unlike PEFT, switching the
 * adapters off does not bring back the base's original head (the head is the trained one).
 *
 * <p>Other {@code modules_to_save} than the head ({@code score}, or {@code classifier}, which PEFT
 * adds for SEQ_CLS and which these models do not have) are refused. Not thread-safe.
 */
public final class RewardLora implements AutoCloseable {
  /** The module PEFT's SEQ_CLS task saves in full for these models. */
  public static final String SCORE_MODULE = "score";

  /** The score head's key in {@code adapter_model.safetensors}. */
  public static final String SCORE_KEY = LoraModel.KEY_PREFIX + "score.weight";

  /** PEFT's task type of a sequence-classification adapter. */
  public static final String TASK_TYPE = "SEQ_CLS";

  /** The head names PEFT's SEQ_CLS task adds to modules_to_save. */
  private static final Set<String> HEAD_MODULES = Set.of(SCORE_MODULE, "classifier");

  private static final String SCORE_PARAM =
      LoraModel.KEY_PREFIX + SCORE_MODULE + ".modules_to_save." + LoraModel.DEFAULT_ADAPTER;

  private final RewardModel model;
  private final LoraModel lora;
  private final LoraConfig config; // as injected (targets resolved), the head not in modulesToSave
  private final boolean ownsModel;

  private RewardLora(RewardModel model, LoraModel lora, boolean ownsModel) {
    this.model = model;
    this.lora = lora;
    // resolved: "all-linear" as the module names, which PEFT reads where a list holding
    // "all-linear" would match no module
    this.config = lora.config(lora.activeAdapter());
    this.ownsModel = ownsModel;
  }

  /**
   * Freezes {@code model}'s backbone, attaches a fresh LoRA adapter from {@code seed} and makes the
   * score head trainable. The model stays the caller's to close (after this object).
   *
   * @throws IllegalArgumentException if {@code config.modulesToSave()} names a module other than
   *     the score head, or a target matches nothing
   */
  public static RewardLora inject(RewardModel model, LoraConfig config, long seed) {
    LoraConfig adapter = withoutHead(config, "lora.modules_to_save");
    LoraModel lora = LoraModel.inject(model.backbone(), adapter, seed);
    model.scoreWeight().setRequiresGradient(true);
    return new RewardLora(model, lora, false);
  }

  private static LoraConfig withoutHead(LoraConfig c, String where) {
    List<String> others =
        c.modulesToSave().stream().filter(m -> !HEAD_MODULES.contains(m)).toList();
    if (!others.isEmpty()) {
      throw new IllegalArgumentException(
          where
              + " "
              + others
              + ": a LoRA reward model trains and saves the score head only (PEFT's SEQ_CLS"
              + " modules_to_save [\"score\"]); remove the other modules");
    }
    return c.toBuilder().modulesToSave(List.of()).build();
  }

  /** Whether {@code dir} holds a PEFT adapter ({@code adapter_config.json}). */
  public static boolean isAdapterFolder(Path dir) {
    return Files.isRegularFile(dir.resolve(AdapterConfigFile.CONFIG));
  }

  /**
   * Loads a LoRA reward model saved by {@link #save} (or by PEFT from a {@code
   * *ForSequenceClassification} model with {@code num_labels 1}): the base from {@code base}, else
   * from {@code base_model_name_or_path} of {@code adapter_config.json} (an HF language model or
   * reward model folder), stored as {@code quant} says, with the adapter and score head of {@code
   * dir}. The returned object owns the model.
   *
   * @param base the base model folder, or null for the one the adapter names
   * @throws CheckpointException naming the file and what is wrong, and how to fix it
   */
  public static RewardLora load(Path dir, Path base, QuantConfig quant) {
    Path configFile = dir.resolve(AdapterConfigFile.CONFIG);
    JsonObject json =
        RecordJson.readObject(
            configFile,
            "pass a LoRA reward-model folder (`rlhf4j train-reward` with a lora section writes one)");
    JsonElement task = json.get("task_type");
    if (task == null || task.isJsonNull() || !TASK_TYPE.equals(task.getAsString())) {
      throw CheckpointException.of(
          configFile,
          "has task_type "
              + task
              + ", not \""
              + TASK_TYPE
              + "\": not a reward-model adapter (a causal-LM adapter is a policy: merge it with"
              + " 'rlhf4j merge' or give it to lora.adapter)");
    }
    List<String> saved = new java.util.ArrayList<>();
    JsonElement mts = json.get("modules_to_save");
    if (mts != null && mts.isJsonArray()) {
      mts.getAsJsonArray().forEach(e -> saved.add(e.getAsString()));
    }
    if (!saved.contains(SCORE_MODULE)) {
      throw CheckpointException.of(
          configFile,
          "has modules_to_save "
              + saved
              + " without \"score\": the adapter carries no trained score head, so it is not a"
              + " reward model of a *ForSequenceClassification base (rlhf4j reads the head as "
              + SCORE_KEY
              + ")");
    }
    JsonObject asCausal = json.deepCopy();
    asCausal.add("task_type", new JsonPrimitive("CAUSAL_LM"));
    asCausal.add("modules_to_save", JsonNull.INSTANCE);
    LoraConfig config;
    try {
      config =
          withoutHead(
              AdapterConfigFile.fromJson(asCausal, configFile).config().toBuilder()
                  .modulesToSave(saved)
                  .build(),
              configFile + ": modules_to_save");
    } catch (IllegalArgumentException e) {
      throw new CheckpointException(e.getMessage(), e);
    }
    Path baseDir = resolveBase(dir, base, config.baseModelNameOrPath());
    RewardModel model = RewardModel.fromPretrained(baseDir, 0, quant); // head replaced below
    LoraModel lora = null;
    try {
      lora = LoraModel.inject(model.backbone(), config, 0);
      RewardLora out = new RewardLora(model, lora, true);
      out.fill(dir.resolve(AdapterConfigFile.WEIGHTS));
      return out;
    } catch (RuntimeException e) {
      if (lora != null) {
        lora.close();
      }
      model.close();
      throw e;
    }
  }

  private static Path resolveBase(Path dir, Path base, String named) {
    if (base == null && named == null) {
      throw CheckpointException.of(
          dir.resolve(AdapterConfigFile.CONFIG),
          "has no base_model_name_or_path; give the base model folder (reward-model option"
              + " base: DIR)");
    }
    Path b = base != null ? base : Path.of(named);
    if (!Files.isRegularFile(b.resolve("config.json"))) {
      throw CheckpointException.of(
          dir,
          "is a LoRA reward-model adapter whose base "
              + b
              + (base != null ? " (option base)" : " (base_model_name_or_path)")
              + " is not a model folder with config.json; point reward-model option base at"
              + " the base model folder (a preset base must be saved as an HF folder first)");
    }
    return b;
  }

  /** Copies the adapter and score tensors of {@code file} into the live arrays. */
  private void fill(Path file) {
    if (!Files.isRegularFile(file)) {
      throw CheckpointException.of(
          file.getParent(), "has " + AdapterConfigFile.CONFIG + " but no " + file.getFileName());
    }
    SafeTensors.Contents contents = SafeTensors.read(file);
    FiniteCheck.require(contents);
    Set<String> unused = new LinkedHashSet<>(contents.tensors().keySet());
    for (Map.Entry<String, NDArray> e : savedNames().entrySet()) {
      TensorData t = contents.tensors().get(e.getKey());
      if (t == null) {
        throw CheckpointException.of(
            file,
            "has no tensor '"
                + e.getKey()
                + "' that adapter_config.json (r, target_modules) and the base model call for:"
                + " the adapter was made for another base");
      }
      long[] expected = e.getValue().getShape().getShape();
      if (!Arrays.equals(t.shape(), expected)) {
        throw CheckpointException.of(
            file,
            "tensor '"
                + e.getKey()
                + "' has shape "
                + Arrays.toString(t.shape())
                + ", expected "
                + Arrays.toString(expected)
                + " for this base and adapter_config.json (another base model, or r differs)");
      }
      try (NDArray a = t.toNDArray(model.manager())) {
        e.getValue().set(a.toByteBuffer());
      }
      unused.remove(e.getKey());
    }
    if (!unused.isEmpty()) {
      throw CheckpointException.of(
          file,
          "has tensor(s) "
              + unused
              + " that this adapter_config.json does not produce for the base model (an adapter"
              + " for another architecture?)");
    }
  }

  /**
   * The arrays that {@link #save} writes, by their saved PEFT name: the adapter's (the adapter name
   * removed, as PEFT's get_peft_model_state_dict does) and {@value #SCORE_KEY}.
   */
  private Map<String, NDArray> savedNames() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : lora.trainableParameters().entrySet()) {
      out.put(e.getKey().replace("." + LoraModel.DEFAULT_ADAPTER + ".", "."), e.getValue());
    }
    out.put(SCORE_KEY, model.scoreWeight());
    return out;
  }

  /**
   * The arrays to train, each requiring a gradient: the adapter's (PEFT's in-memory names) and the
   * score head as PEFT names its modules_to_save copy.
   */
  public Map<String, NDArray> trainableParameters() {
    Map<String, NDArray> out = new LinkedHashMap<>(lora.trainableParameters());
    out.put(SCORE_PARAM + ".weight", model.scoreWeight());
    return out;
  }

  /** Elements that train (adapter plus score head). */
  public long trainableCount() {
    return lora.trainableReport().trainable() + model.scoreWeight().size();
  }

  /**
   * Writes the PEFT folder described above ({@code adapter_config.json}, {@code
   * adapter_model.safetensors}) into {@code dir}, created if needed.
   */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    SafeTensors.write(dir.resolve(AdapterConfigFile.WEIGHTS), savedNames(), Map.of("format", "pt"));
    JsonObject j = AdapterConfigFile.toJson(config);
    JsonArray heads = new JsonArray();
    heads.add(SCORE_MODULE);
    j.add("modules_to_save", heads);
    j.add("task_type", new JsonPrimitive(TASK_TYPE));
    String text =
        new GsonBuilder()
            .setPrettyPrinting()
            .serializeNulls()
            .disableHtmlEscaping()
            .create()
            .toJson(j);
    AtomicFiles.writeString(dir.resolve(AdapterConfigFile.CONFIG), text);
  }

  /** The reward model (backbone with the adapter attached, and its score head). */
  public RewardModel model() {
    return model;
  }

  /** The adapter on the backbone. */
  public LoraModel lora() {
    return lora;
  }

  /**
   * The adapter's config as injected: targets resolved to module names, the score head not in its
   * modulesToSave.
   */
  public LoraConfig config() {
    return config;
  }

  /** Detaches and frees the adapter; also closes the model when {@link #load} made it. */
  @Override
  public void close() {
    lora.close();
    if (ownsModel) {
      model.close();
    }
  }
}
